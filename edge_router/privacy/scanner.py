"""The privacy scanner: one Presidio engine on a trimmed spaCy pipeline, offline, fail-closed.

Built once at startup and shared; ``scan`` is thread-safe and never raises: any
failure gives ``ScanResult.failed()`` so the request stays local.

Example::

    scanner = PrivacyScanner(ScannerSettings())
    result = scanner.scan([TextField("messages[0].content", "mail me at a@b.org")])
    result.sensitive, result.reasons   # True, ("entity:EMAIL_ADDRESS",)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import threading
from collections.abc import Iterable, Sequence

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from edge_router.privacy.context import SensitivityRules
from edge_router.privacy.engine import (
    LoadedSpacyEngine,
    build_registry,
    load_ner_pipeline,
    ner_configuration,
)
from edge_router.privacy.lexicon import load_lexicon
from edge_router.privacy.namecheck import NameChecks
from edge_router.privacy.namelists import english_verbs, english_words, load_name_lists
from edge_router.privacy.nametext import after_option_marker, lowercase_noise, not_a_name, recase
from edge_router.privacy.nergate import NerGate
from edge_router.privacy.normalize import normalise
from edge_router.privacy.offload import Detection, Offload
from edge_router.privacy.parts import Window, join_windows, split_findings
from edge_router.privacy.recur import complete
from edge_router.privacy.refine import Refiner
from edge_router.privacy.scan_cache import DetectionCache, Found
from edge_router.privacy.scripts import PROMPT_VERBS, Profile, profile
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import Entity, ScanResult, TextField

logger = logging.getLogger(__name__)

_Request = tuple[Sequence[TextField], Sequence[str]]  # text fields, non-text part kinds
# With a pool, requests up to this many characters are looked up on the event loop
# (hashing: microseconds); longer ones in a thread, so a huge one never holds the loop.
_INLINE_CHARS = 4000


class PrivacyScanner:
    """Detects personal data and secrets in outbound text; see module docstring."""

    def __init__(
        self,
        settings: ScannerSettings,
        *,
        extra_recognizers: Sequence[EntityRecognizer] = (),
    ) -> None:
        """Build the engine (a few seconds); ``extra_recognizers`` are added as-is."""
        self._settings = settings
        self._lock = threading.Lock()  # one analysis at a time on this pipeline
        self._cache = DetectionCache(settings.cache_size)
        self._ready = False
        self._offload: Offload | None = None
        nlp = load_ner_pipeline(settings.spacy_model)
        self._nlp = nlp
        self._names = NameChecks(nlp)
        ignore = set(settings.ignore_types)
        self._nlp_engine = LoadedSpacyEngine(settings.language, nlp, ner_configuration(settings))
        self._vocab_base = len(nlp.vocab.strings)
        self._english = english_words(nlp)
        self._refiner = Refiner(self._english, load_name_lists(), english_verbs(nlp) | PROMPT_VERBS)
        self._words = load_lexicon(settings.foreign_words)
        self._gate = (
            NerGate(
                nlp,
                self._english,
                load_name_lists() or frozenset(),
                margin=settings.ner_window_tokens,
                dates="DATE_TIME" not in ignore,
            )
            if settings.ner_window_tokens
            else None
        )
        # WordNet lemmas list many public figures (Einstein, Gates); see context.py.
        known = self._english if settings.public_context_needs_known_name else frozenset()
        self._rules = SensitivityRules(settings, known)
        self._analyzer = AnalyzerEngine(
            registry=build_registry(
                settings, nlp, self._nlp_engine, self._names, extra_recognizers
            ),
            nlp_engine=self._nlp_engine,
            supported_languages=[settings.language],
            default_score_threshold=0.0,
        )
        # Types (and thresholds) we ask Presidio for; ignored types cost nothing.
        self._entities = sorted(
            set(self._analyzer.get_supported_entities(settings.language)) - ignore
        )
        self._min_threshold = min(
            [settings.default_threshold, *settings.thresholds.values()], default=0.0
        )
        # Fixed for the engine's life: Presidio's analyze() would re-select them per call.
        self._recognizers = self._analyzer.registry.get_recognizers(
            language=settings.language, entities=self._entities
        )
        for rec in (r for r in self._recognizers if not r.is_loaded):
            rec.load()
            rec.is_loaded = True
        # Warm up (lazy model parts, regex compilation) so the first request is not slow.
        self._analyze_texts(["Warm-up: call me at 555-0100 or sam@example.org, my name is Sam."])
        self._ready = True

    @property
    def ready(self) -> bool:
        """True once the engine is built and warmed up (and the offload, if any, is ready)."""
        return self._ready and (self._offload is None or self._offload.ready)

    def offload_to(self, offload: Offload | None) -> None:
        """Analyse uncached texts there (a pool) from now on; None: here. Cache, verdict stay."""
        self._offload = offload

    @property
    def settings(self) -> ScannerSettings:
        return self._settings

    def scan(
        self, fields: Sequence[TextField], non_text_parts: Sequence[str] = (), *, scope: str = ""
    ) -> ScanResult:
        """Scan one request's text fields; never raises (fails closed).

        ``scope`` (the tenant or API key) partitions the result cache, so that one
        tenant cannot time whether another recently sent a given text.
        """
        try:
            return self.scan_many([(fields, non_text_parts)], scope=scope)[0]
        except Exception:  # fail closed on anything
            return ScanResult.failed()

    def scan_many(
        self, requests: Sequence[tuple[Sequence[TextField], Sequence[str]]], *, scope: str = ""
    ) -> list[ScanResult]:
        """Scan several requests at once, batching all their new texts through spaCy."""
        try:
            joins = [join_windows(fields) for fields, _ in requests]
            found = self._detect(_texts(requests, joins), scope)
            results = [self._finish(r, w, found) for r, w in zip(requests, joins, strict=True)]
        except Exception as exc:  # fail closed on anything
            # Type only: an exception message could quote the text.
            logger.warning("privacy scan failed: %s", type(exc).__name__)
            return [ScanResult.failed() for _ in requests]
        return results

    async def ascan(
        self, fields: Sequence[TextField], non_text_parts: Sequence[str] = (), *, scope: str = ""
    ) -> ScanResult:
        """``scan`` off the event loop, bounded by ``settings.timeout_s``; fails closed.

        With a pool, a short request (``_INLINE_CHARS``) skips thread hops (daemon CPU the
        workers need): cache lookup here, analysis on a worker, findings judged in a thread.
        """
        offload = self._offload
        request = (fields, non_text_parts)
        try:
            if offload is not None and sum(len(f.text) for f in fields) <= _INLINE_CHARS:
                work = self._ascan_offloaded(request, scope, offload)
                return await asyncio.wait_for(work, timeout=self._settings.timeout_s)
            ctx = contextvars.copy_context()  # kept, as asyncio.to_thread keeps it (log fields)
            threads = None if offload is None else offload.executor  # the pool's own
            job = functools.partial(ctx.run, self.scan, fields, non_text_parts, scope=scope)
            thread = asyncio.get_running_loop().run_in_executor(threads, job)
            return await asyncio.wait_for(thread, timeout=self._settings.timeout_s)
        except Exception:  # timeout or anything else: fail closed
            return ScanResult.failed("scan_failed")

    async def _ascan_offloaded(self, request: _Request, scope: str, offload: Offload) -> ScanResult:
        joins = join_windows(request[0])
        found, todo = self._cache.split(_texts([request], [joins]), scope)
        if todo:
            fresh = await asyncio.wrap_future(offload.submit(list(todo.values())))
            self._cache.store(todo, fresh, found)
        if not any(found.values()):
            return self._finish(request, joins, found)  # nothing to judge
        ctx = contextvars.copy_context()
        judge = functools.partial(ctx.run, self._finish, request, joins, found)
        return await asyncio.get_running_loop().run_in_executor(offload.executor, judge)

    def _finish(self, request: _Request, windows: Sequence[Window], found: Found) -> ScanResult:
        """The verdict on one request from the detections of its texts and windows."""
        fields, non_text = request
        detections = [found[f.text] for f in fields]
        if windows:  # values split across the text parts of a message
            split = split_findings(detections, windows, found)
            detections = [_dedupe(d) for d in split]
        return self._verdict(fields, detections, non_text)

    def _verdict(
        self,
        fields: Sequence[TextField],
        detections: Sequence[tuple[Detection, ...]],
        non_text_parts: Sequence[str],
    ) -> ScanResult:
        entities = tuple(
            Entity(type=t, start=s, end=e, score=score, field=f.path)
            for f, found in zip(fields, detections, strict=True)
            for t, s, e, score in found
        )
        found = {e.type for e in entities}
        reasons: list[str] = []
        if found:
            # Context words inside a finding ("Ivan King", "King Alexander St") are no cue.
            masked = [_mask(f.text, d) for f, d in zip(fields, detections, strict=True)]
            names = [
                f.text[s:e]
                for f, d in zip(fields, detections, strict=True)
                for t, s, e, _ in d
                if t == "PERSON"
            ]
            handles = [
                (i, s, e) for i, d in enumerate(detections) for t, s, e, _ in d if t == "USERNAME"
            ]
            texts = [f.text for f in fields]
            _, reasons = self._rules.decide(texts, found, masked, names, handles)
        non_text = tuple(non_text_parts)
        if non_text and self._settings.non_text_sensitive:
            reasons.append("non_text_part")
        return ScanResult(
            entities=entities,
            sensitive=any(not r.startswith("weak:") for r in reasons),
            reasons=tuple(reasons),
            non_text_parts=non_text,
        )

    def _detect(self, texts: Iterable[str], scope: str = "") -> Found:
        """Detections per distinct text, from the cache or a fresh batched analysis."""
        out, todo = self._cache.split(texts, scope)
        if todo:
            texts, offload = list(todo.values()), self._offload  # distinct texts
            fresh = self.detect_fresh(texts) if offload is None else offload.detect(texts)
            self._cache.store(todo, fresh, out)
        return out

    def detect_fresh(self, texts: list[str]) -> dict[str, tuple[Detection, ...]]:
        """Detections per distinct non-blank text, analysed now, uncached (a pool worker's)."""
        # Detect on the normalised text (obfuscation undone), keep original offsets.
        norms = {text: normalise(text) for text in texts}
        fresh = self._analyze_texts(list(dict.fromkeys(n.text for n in norms.values())))
        out: dict[str, tuple[Detection, ...]] = {}
        for text, norm in norms.items():
            found = fresh[norm.text]
            if norm.changed:
                found = _dedupe([(t, *norm.span(s, e), score) for t, s, e, score in found])
            out[text] = found
        return out

    def _analyze_texts(self, texts: list[str]) -> dict[str, tuple[Detection, ...]]:
        """Run Presidio over texts (chunking long ones), one nlp.pipe batch for all."""
        pieces: list[tuple[str, int, str]] = []  # (text, offset, chunk)
        for text in texts:
            pieces += [(text, off, chunk) for off, chunk in self._chunks(text)]
        raw: dict[str, list[Detection]] = {text: [] for text in texts}
        chunks = [chunk for _, _, chunk in pieces]
        profiles = [profile(c) for c in chunks]
        # The small model leans on capitals: NER reads lower-case English prose ("call
        # patricia desrosiers") as a re-cased copy of the same length, so offsets hold.
        on = self._settings.recase_lowercase_text
        recased = [
            recase(c) if on and p.english else None for c, p in zip(chunks, profiles, strict=True)
        ]
        with self._lock, self._vocab_zone():
            inputs = [rc or chunk for rc, chunk in zip(recased, chunks, strict=True)]
            artifacts = self._artifacts(inputs)
            for (text, offset, chunk), rc, item, prof in zip(
                pieces, recased, artifacts, profiles, strict=True
            ):
                for r in self._recognize(chunk, item, prof, recased=rc is not None):
                    score = float(r.score)
                    if rc is not None and _by_ner(r):
                        # On a re-cased copy NER sees every word as a name: keep only
                        # people, and trust them less.
                        if r.entity_type != "PERSON":
                            continue
                        score = min(score, _RECASED_SCORE)
                    elif (
                        r.entity_type == "PERSON"
                        and _by_ner(r)
                        and lowercase_noise(chunk, r.start, r.end)
                    ):
                        # NER learnt names from capitals; a lower-case "name" in text
                        # that uses capitals, or in code, is a word ("tyre", "return arr").
                        continue
                    if score < self._settings.threshold_for(r.entity_type):
                        continue
                    start = r.start
                    if r.entity_type == "PERSON":
                        start = after_option_marker(chunk, start, r.end, self._english)
                        if start < 0 or self._no_name(chunk, start, r.end, prof):
                            continue
                    raw[text].append((r.entity_type, start + offset, r.end + offset, score))
        # A list's other names, and each value everywhere in its text (for redaction).
        return {t: _dedupe(f + complete(t, f, self._english)) for t, f in raw.items()}

    def _no_name(self, chunk: str, start: int, end: int, prof: Profile) -> bool:
        """Code, a label or a place by its kind (``not_a_name``), or ordinary words of the
        text's language (``lexicon``: "Fecha (A), Clienta (B)")."""
        if not_a_name(chunk[start:end], chunk[max(0, start - 12) : start]):
            return True
        return self._words is not None and self._words.ordinary(chunk, start, end, prof.lang)

    def _vocab_zone(self) -> contextlib.AbstractContextManager[object]:
        """A spaCy memory zone once the vocabulary has grown by ``vocab_growth_limit``.

        spaCy adds every new word it sees to the shared vocabulary, which would grow for
        the daemon's life. Words are kept (and re-tokenizing them saved) until the limit;
        after it, what a scan adds is dropped again when its docs are gone. Only offsets
        and types leave the block.
        """
        grown = len(self._nlp.vocab.strings) - self._vocab_base
        if grown >= self._settings.vocab_growth_limit:
            return self._nlp.memory_zone()
        return contextlib.nullcontext()

    def _artifacts(self, texts: list[str]) -> list[NlpArtifacts]:
        """Tokens and NER entities per text, NER run only near capitals (nergate.py)."""
        language, batch = self._settings.language, self._settings.batch_size
        if self._gate is None:
            return [item[-1] for item in self._nlp_engine.process_batch(texts, language, batch)]
        docs = self._gate.docs(texts, batch_size=batch)
        return [self._nlp_engine.doc_artifacts(doc, language) for doc in docs]

    def _recognize(
        self, chunk: str, nlp_artifacts: NlpArtifacts, prof: Profile, *, recased: bool
    ) -> list[RecognizerResult]:
        """What Presidio's ``analyze`` does, minus its per-call recognizer selection and the
        deep copies for context enhancement of results whose recognizer has no context words,
        plus ``Refiner``'s check of the names by the chunk's language (before duplicates
        are dropped, so that a bad guess does not hide a good one on the same span).
        """
        id_key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
        plain: list[RecognizerResult] = []
        contextual: list[RecognizerResult] = []
        with_context: list[EntityRecognizer] = []
        for rec in self._recognizers:
            found = rec.analyze(text=chunk, entities=self._entities, nlp_artifacts=nlp_artifacts)
            if not found:
                continue
            for result in found:
                if result.recognition_metadata is None:
                    result.recognition_metadata = {}
                result.recognition_metadata.setdefault(id_key, rec.id)
                result.recognition_metadata.setdefault(
                    RecognizerResult.RECOGNIZER_NAME_KEY, str(getattr(rec, "name", ""))
                )
            if getattr(rec, "context", None):
                contextual += found
                with_context.append(rec)
            else:
                plain += found
        if contextual:
            contextual = self._analyzer._enhance_using_context(
                chunk, contextual, nlp_artifacts, with_context, None
            )
        results = [r for r in plain + contextual if r.score >= self._min_threshold]
        results = self._refiner.refine(chunk, prof, results, recased=recased)
        return list(EntityRecognizer.remove_duplicates(results))

    def _chunks(self, text: str) -> list[tuple[int, str]]:
        """Split long text on whitespace into overlapping chunks (offset, chunk)."""
        size = self._settings.max_chunk_chars
        if len(text) <= size:
            return [(0, text)]
        overlap = min(self._settings.chunk_overlap_chars, size // 4)
        chunks: list[tuple[int, str]] = []
        start = 0
        while start < len(text):
            end = min(len(text), start + size)
            if end < len(text):
                cut = text.rfind(" ", start + size // 2, end)
                cut = max(cut, text.rfind("\n", start + size // 2, end))
                end = cut if cut > start else end
            chunks.append((start, text[start:end]))
            if end >= len(text):
                break
            nxt = end - overlap
            space = text.find(" ", nxt, end)
            start = space + 1 if space != -1 else nxt
        return chunks


# Below spaCy's flat 0.85: a name found only after re-casing is less certain.
_RECASED_SCORE = 0.6


def _texts(requests: Sequence[_Request], joins: Sequence[Sequence[Window]]) -> list[str]:
    """Every text to analyse: the fields, then the windows joining split parts."""
    return [f.text for fields, _ in requests for f in fields] + [
        w.text for windows in joins for w in windows
    ]


def _by_ner(result: RecognizerResult) -> bool:
    meta = result.recognition_metadata or {}
    return meta.get(RecognizerResult.RECOGNIZER_NAME_KEY) == "SpacyRecognizer"


def _mask(text: str, found: Sequence[Detection]) -> str:
    """``text`` with every detected span blanked out (same length)."""
    if not found:
        return text
    chars = list(text)
    for _, start, end, _ in found:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _dedupe(found: list[Detection]) -> tuple[Detection, ...]:
    """Drop exact duplicates and spans of one type contained in a higher-scored one."""
    found = sorted(set(found), key=lambda d: (d[1], -(d[2] - d[1]), -d[3]))
    kept: list[Detection] = []
    for det in found:
        if any(
            k[0] == det[0] and k[1] <= det[1] and det[2] <= k[2] and k[3] >= det[3] for k in kept
        ):
            continue
        kept.append(det)
    return tuple(kept)
