"""Is a candidate a person's name? NER (and the tagger) on a short window, or NER's spans.

``ContextNameRecognizer`` (names.py) finds candidates after cues ("tell marcy", "Hi
bob,"); whether the words there are a name is asked of the loaded pipeline here:
``NameChecks.looks_like_name`` re-reads a window around the candidate, and
``spans_in`` reads what NER already found on the whole text.

Example::

    checks = NameChecks(nlp)
    checks.looks_like_name("tell Marcy hi", 5, 10, False)   # [(5, 10)]
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Span

from edge_router.privacy.nergate import GreedyNer

# NER labels a rare name gets by mistake; after a naming cue they count as a name.
NAME_LIKE_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT"}
)
# spaCy labels that Presidio reports as PERSON.
PERSON_LABELS = frozenset({"PERSON", "PER"})


def spans_in(
    ents: Sequence[Span], start: int, end: int, ner_only: bool
) -> list[tuple[int, int]] | None:
    """The name spans NER's entities give inside [start, end), or None when the tagger
    must decide (NER found nothing there and a name may still follow).

    People first; with ``ner_only`` nothing else. Otherwise the cue says a name follows,
    and the small model often finds the span but calls a rare name an ORG, GPE or
    PRODUCT ("call me Natalija"): the span is trusted.
    """
    inside = [e for e in ents if e.start_char < end and e.end_char > start]
    persons = [
        (max(e.start_char, start), min(e.end_char, end))
        for e in inside
        if e.label_ in PERSON_LABELS
    ]
    if persons or ner_only:
        return persons
    named = [
        (max(e.start_char, start), min(e.end_char, end))
        for e in inside
        if e.label_ in NAME_LIKE_LABELS
    ]
    return named or None


class NameChecks:
    """Name checks that need the spaCy pipeline; called under the scanner's lock."""

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        components = dict(nlp.components)  # disabled ones too: the tagger is off by default
        # NER has its own embedding layer in the small model; the tagger needs tok2vec.
        self._ner_steps = [components[n] for n in ("ner",) if n in components]
        self._greedy = GreedyNer.for_pipe(components["ner"]) if "ner" in components else None
        self._tag_steps = [components[n] for n in ("tok2vec", "tagger") if n in components]

    def looks_like_name(
        self, window: str, start: int, end: int, ner_only: bool
    ) -> list[tuple[int, int]]:
        """ContextNameRecognizer's check: PERSON spans by NER, else all tokens tagged NNP.

        Runs the (otherwise disabled) tagger only on this short window, and only
        when a self-introduction or naming cue matched.
        """
        doc = self._nlp.make_doc(window)
        if self._greedy is not None:  # spaCy's decoding, minus its GIL hand-offs (nergate)
            self._greedy.annotate([doc], 1)
        else:
            for step in self._ner_steps:
                doc = step(doc)
        known = spans_in(doc.ents, start, end, ner_only)
        if known is not None:
            return known
        # Only now the tagger: NER does not read its output, so NER's spans are the same.
        for step in self._tag_steps:
            doc = step(doc)
        inside = [t for t in doc if t.idx >= start and t.idx + len(t) <= end]
        if inside and all(t.tag_ in ("NNP", "NNPS") for t in inside):
            return [(start, end)]
        return []
