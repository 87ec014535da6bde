"""NER on windows around capitalised words gives the entities NER finds on the whole text."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc

from edge_router.privacy.engine import load_ner_pipeline
from edge_router.privacy.namelists import english_words, load_name_lists
from edge_router.privacy.nergate import NerGate
from edge_router.privacy.settings import ScannerSettings

_FILLER = (
    "please read the following notes carefully and then write a short summary of the "
    "main points in plain language for a general audience. "
)
_TEXTS = [
    _FILLER * 3 + "The meeting with Radka Novakova moved to Brno. " + _FILLER * 2,
    "Compose a poem about autumn. " + _FILLER + "Ask Tomasz Wierzbicki at Acme Corp.",
    "Scott is away this week. " + _FILLER * 4,
    _FILLER * 5,
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_ner_pipeline(ScannerSettings().spacy_model)


def _gate(nlp: Language, *, dates: bool = False) -> NerGate:
    return NerGate(nlp, english_words(nlp), load_name_lists() or frozenset(), margin=4, dates=dates)


@pytest.mark.parametrize("text", _TEXTS)
def test_windows_find_what_whole_text_ner_finds(nlp: Language, text: str) -> None:
    (doc,) = _gate(nlp).docs([text])
    whole = nlp(text)
    wanted = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
    found = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in wanted]
    assert found == [(e.start_char, e.end_char, e.label_) for e in whole.ents if e.label_ in wanted]
    assert found or text == _TEXTS[-1]


def test_windows_skip_text_without_capitals_in_mixed_case(nlp: Language) -> None:
    gate = _gate(nlp)
    doc = nlp.make_doc(_TEXTS[0])
    windows = gate._windows(doc)
    covered = sum(b - a for a, b in windows)
    # Only the sentence with the names is read, not the filler around it.
    assert 0 < covered < len(doc) / 3
    assert gate._windows(nlp.make_doc(_FILLER.capitalize() * 2)) == []


def test_text_without_any_capital_is_read_whole(nlp: Language) -> None:
    text = 'she said "call maria garcia" and left; x = f(y)'
    (doc,) = _gate(nlp).docs([text])
    assert [e.text for e in doc.ents] == [e.text for e in nlp(text).ents]


def test_dates_are_marked_when_wanted(nlp: Language) -> None:
    text = _FILLER * 2 + "the invoice is due next tuesday. " + _FILLER
    doc = nlp.make_doc(text)
    assert _gate(nlp)._windows(doc) == []
    assert _gate(nlp, dates=True)._windows(doc) != []


def test_greedy_stepping_matches_spacy_pipe(nlp: Language) -> None:
    # The GIL-holding decoder must give exactly what spaCy's own loop gives, alone and
    # in a batch of windows of different lengths (where one step serves them all).
    gate = _gate(nlp)
    greedy = gate._greedy
    assert greedy is not None  # the installed model is the plain greedy kind
    texts = [
        *_TEXTS,
        "Dr. Amara Okafor (Lagos) emailed Siemens AG on 3 March about the Berlin office.",
        "call patricia desrosiers tomorrow",
        "",
        "Ok.",
    ]
    ours = [nlp.make_doc(t) for t in texts]
    greedy.annotate(ours, batch_size=3)
    ner: TrainablePipe = nlp.get_pipe("ner")
    theirs = list(ner.pipe([nlp.make_doc(t) for t in texts], batch_size=64))

    def ents(doc: Doc) -> list[tuple[int, int, str]]:
        return [(e.start, e.end, e.label_) for e in doc.ents]

    assert [ents(d) for d in ours] == [ents(d) for d in theirs]
    assert sum(len(ents(d)) for d in ours) >= 5  # the check saw real entities


def test_pipeline_multiplies_with_numpy_and_finds_what_blis_finds() -> None:
    """``load_ner_pipeline`` switches every CPU layer to numpy's BLAS; BLIS finds the same."""
    from thinc.api import NumpyOps

    from edge_router.privacy.engine import set_matmul

    nlp = load_ner_pipeline(ScannerSettings().spacy_model)  # own copy: flipped below
    nodes = [node for _, pipe in nlp.pipeline for node in pipe.model.walk()]
    assert nodes and all(isinstance(n.ops, NumpyOps) and not n.ops.use_blis for n in nodes)
    texts = [*_TEXTS, "Dear Ms. Okonkwo, Jan Kowalski from Gdańsk asked about the 3 May invoice."]
    numpy_ents = [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    set_matmul(nlp, blis=True)
    assert all(n.ops.use_blis for n in nodes)
    blis_ents = [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert blis_ents == numpy_ents
    assert any(numpy_ents)
