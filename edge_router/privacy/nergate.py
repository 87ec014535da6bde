"""Run spaCy's NER only on the stretches of text where it can find something we use.

NER is two thirds of a scan, and most of a long prompt has no word it could call
a person, place or organisation: in mixed-case English those are capitalised.
So the text is tokenized once, every token that could start or be part of such a
name is marked (a capitalised word, unless it only opens a sentence and is a
plain English word), and NER runs on windows of ``margin`` tokens around the
marks, batched in one call. Its entities are mapped back onto the full ``Doc``,
which the recognizers then read as if NER had seen everything.

The window is wider than what the model looks at (its token encoder sees four
tokens either side), so inside a window NER decides as it would on the whole
text. What it no longer sees are lower-case entities far from any capital: dates
("next tuesday") and the odd lower-case word it would take for a name. When the
scanner wants DATE_TIME, digits and date words are marked too. Text written
without capitals reaches NER re-cased, so all of it is marked; text with no
capital at all that was not re-cased (code, odd quoting) is given to NER whole.

Example::

    gate = NerGate(nlp, english, names, margin=4, dates=False)
    docs = gate.docs(["Compose a poem about autumn. Ask Radka."])
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

import numpy
from spacy.language import Language
from spacy.ml.parser_model import ParserStepModel
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from thinc.api import NumpyOps

from edge_router.privacy.namelists import fold
from edge_router.privacy.nerfast import FastTok2Vec

# Tokens before a word that make it the first of a sentence, a line or a quote.
_OPENERS = frozenset({".", "!", "?", ":", ";", '"', "“", "'", "(", "-", "*", "#", ">", "…"})
_DATE_WORDS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today",
     "tomorrow", "yesterday", "tonight", "week", "weeks", "month", "months", "year", "years",
     "day", "days", "morning", "evening", "night", "noon", "midnight", "january", "february",
     "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december", "ago", "last", "next"}
)  # fmt: skip


class NerGate:
    """Tokenize texts and run NER only around the tokens that can be in a name."""

    def __init__(
        self,
        nlp: Language,
        english: Container[str],
        names: Container[str],
        *,
        margin: int,
        dates: bool,
        whole_fraction: float = 0.9,
    ) -> None:
        """``english``: lower-case English words; ``names``: folded listed names (a
        sentence's first word in them is still marked: "Scott is away"); ``dates``: mark
        digits and date words too; ``whole_fraction``: above this share of marked
        tokens NER simply runs on the whole text (windows would save nothing)."""
        self._nlp = nlp
        self._ner: TrainablePipe = nlp.get_pipe("ner")
        self._english = english
        self._names = names
        self._margin = margin
        self._dates = dates
        self._whole = whole_fraction
        self._greedy = GreedyNer.for_pipe(self._ner)

    def docs(self, texts: Sequence[str], batch_size: int = 32) -> list[Doc]:
        """One ``Doc`` per text with NER's entities set, as ``nlp.pipe`` would give."""
        docs = [self._nlp.make_doc(text) for text in texts]
        jobs: list[Doc] = []  # what NER runs on: whole docs or windows of them
        plan: list[list[tuple[int, int]]] = []
        for doc in docs:
            # Written without any capital (and not re-cased: code, quoting): NER's
            # guesses on lower-case words are all there is, so it sees everything.
            lower = not any(c.isupper() for c in doc.text)
            windows = [(0, len(doc))] if lower and len(doc) else self._windows(doc)
            if not windows:
                plan.append([])
            elif sum(b - a for a, b in windows) >= self._whole * len(doc):
                plan.append([(0, len(doc))])
                jobs.append(doc)
            else:
                plan.append(windows)
                jobs += [doc[a:b].as_doc() for a, b in windows]
        if self._greedy is not None:
            self._greedy.annotate(jobs, batch_size)
            done = iter(jobs)
        else:
            done = iter(list(self._ner.pipe(jobs, batch_size=batch_size)))
        for doc, windows in zip(docs, plan, strict=True):
            if windows == [(0, len(doc))]:
                next(done)  # NER annotated ``doc`` itself
                continue
            ents: list[Span] = []
            for a, _ in windows:
                part = next(done)
                ents += [Span(doc, a + e.start, a + e.end, label=e.label) for e in part.ents]
            doc.set_ents(ents, default="outside")
        return docs

    def _windows(self, doc: Doc) -> list[tuple[int, int]]:
        """Merged token ranges within ``margin`` of a marked token."""
        # Token attributes as arrays: no Python Token object per word.
        columns = doc.to_array(["ORTH", "IDX", "IS_SPACE"]).tolist()
        strings = doc.vocab.strings
        words = [strings[orth] for orth, _, _ in columns]
        out: list[tuple[int, int]] = []
        margin = self._margin
        for i, word in enumerate(words):
            if not self._marked(word) or (
                self._plain(word) and self._opens(doc, columns, words, i)
            ):
                continue
            a, b = max(0, i - margin), min(len(words), i + margin + 1)
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out

    def _marked(self, word: str) -> bool:
        """Could NER find something we use in this word (ignoring where it stands)?"""
        if self._dates and (any(c.isdigit() for c in word) or word.lower() in _DATE_WORDS):
            return True
        return len(word) > 1 and word != "I" and any(c.isupper() for c in word)

    def _plain(self, word: str) -> bool:
        """An English word in no name list: capitalised only where a sentence opens."""
        low = word.lower()
        return (
            low in self._english
            and fold(low) not in self._names
            and not (self._dates and (any(c.isdigit() for c in word) or low in _DATE_WORDS))
        )

    @staticmethod
    def _opens(doc: Doc, columns: list[list[int]], words: list[str], i: int) -> bool:
        """Does token ``i`` open a sentence, a line or a quote ("Compose a poem", "Answer:")?"""
        if i == 0:
            return True
        before = words[i - 1]
        if before in _OPENERS or columns[i - 1][2]:
            return True
        gap = doc.text[columns[i - 1][1] + len(before) : columns[i][1]]
        return "\n" in gap


class GreedyNer:
    """spaCy's greedy NER decoding, stepped from Python with the GIL held.

    spaCy's own loop (``greedy_parse``) releases the GIL, and this spaCy build takes it
    back for every look at a parser state's tokens (each of the 74 moves' validity
    checks, per token and step; seen with ``perf``): most of NER's time went to GIL
    hand-offs. With the GIL held those are no-ops. Stepping the same model from here
    (``ParserStepModel``'s state features and maxout, the output layer's gemm, the same
    unseen-class mask, ``transition_states``'s move choice) does the same arithmetic
    in the same order, so the entities are the same; and one step serves every window
    of a batch at once. Used only for the plain greedy NumpyOps model it was checked
    on (``for_pipe``); anything else keeps ``ner.pipe``.
    """

    def __init__(self, ner: Any) -> None:
        self._ner = ner
        upper = ner.model.get_ref("upper")
        self._ops = upper.ops
        self._upper = upper
        self._fast = FastTok2Vec.for_model(ner.model.get_ref("tok2vec"))

    @classmethod
    def for_pipe(cls, ner: Any) -> GreedyNer | None:
        """The fast path for this NER pipe, or None where it does not apply."""
        try:
            model = ner.model
            if (
                ner.cfg.get("beam_width", 1) != 1
                or not model.attrs.get("has_upper")
                or not isinstance(model.ops, NumpyOps)
                or not isinstance(model.get_ref("upper").ops, NumpyOps)
            ):
                return None
            return cls(ner)
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

    def annotate(self, docs: Sequence[Doc], batch_size: int) -> None:
        """Set NER's entities on ``docs`` (what ``ner.pipe`` does, in batches)."""
        batch_size = max(1, batch_size)
        for i in range(0, len(docs), batch_size):
            batch = list(docs[i : i + batch_size])
            self._ner.set_annotations(batch, self.parse(batch))

    def parse(self, docs: list[Doc]) -> list[Any]:
        """The final parser states for ``docs`` (``ner.predict`` for greedy models)."""
        ner = self._ner
        if not any(len(doc) for doc in docs):
            return list(ner.moves.init_batch(docs))
        ner._ensure_labels_are_added(docs)
        states = list(ner.moves.init_batch(docs))
        step = self._step_model(docs)
        try:
            weights, bias = self._upper.get_param("W"), self._upper.get_param("b")
            unseen = step._class_mask == 0
            any_unseen = bool(unseen.any())
            to_vectors = step.state2vec
            todo = [state for state in states if not state.is_final()]
            while todo:
                vectors = to_vectors.predict(step.get_token_ids(todo))
                scores = self._ops.gemm(vectors, weights, trans2=True)
                scores += bias
                if any_unseen:  # as spaCy: an unseen class scores the batch's minimum
                    scores[:, unseen] = numpy.nanmin(scores)
                todo = ner.transition_states(todo, scores)
        finally:
            step.clear_memory()
        return states

    def _step_model(self, docs: list[Doc]) -> Any:
        """``ner.model.predict(docs)``, its token encoder run by ``FastTok2Vec`` if it can."""
        model = self._ner.model
        if self._fast is None or not all(len(doc) for doc in docs):
            return model.predict(docs)  # thinc gives an empty doc no padding rows
        tokvecs = self._fast(docs)
        # What the model's forward (spacy/ml/tb_framework.py) builds, given those vectors.
        return ParserStepModel(
            docs,
            [lambda _docs, is_train: (tokvecs, None), model.get_ref("lower"), self._upper],
            unseen_classes=model.attrs["unseen_classes"],
            train=False,
            has_upper=True,
        )
