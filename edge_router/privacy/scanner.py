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
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer import predefined_recognizers as predefined
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from edge_router.privacy.recognizers import (
    ContextNameRecognizer,
    OfflineEmailRecognizer,
    SecretsRecognizer,
    StreetAddressRecognizer,
    offline_tld_extractor,
)
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import Entity, ScanResult, TextField

logger = logging.getLogger(__name__)

# (type, start, end, score) per text: what the cache keeps. Never the text.
Detection = tuple[str, int, int, float]

_SPACY_TO_PRESIDIO = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_SPACY_LABELS_NEVER_USED = [
    "CARDINAL",
    "EVENT",
    "LANGUAGE",
    "LAW",
    "MONEY",
    "ORDINAL",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "WORK_OF_ART",
]

# Generic predefined recognizers we always run (English, locale-agnostic or US/UK).
_BASE_RECOGNIZERS = (
    "CreditCardRecognizer",
    "CryptoRecognizer",
    "DateRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "MacAddressRecognizer",
    "MedicalLicenseRecognizer",
    "NhsRecognizer",
    "PhoneRecognizer",
    "UrlRecognizer",
    "UsBankRecognizer",
    "UsItinRecognizer",
    "UsLicenseRecognizer",
    "UsPassportRecognizer",
    "UsSsnRecognizer",
    "UuidRecognizer",
)


class _LoadedSpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline we loaded and trimmed ourselves.

    Presidio's own ``load`` would download a missing model; ours never does. With the
    lemmatizer disabled (it needs the tagger and attribute ruler, ~30% of spaCy's
    time) lowercase forms stand in for lemmas in Presidio's context-word matching.
    """

    def __init__(self, language: str, nlp: Language, ner_config: NerModelConfiguration) -> None:
        super().__init__(
            models=[{"lang_code": language, "model_name": nlp.meta.get("name", "spacy")}],
            ner_model_configuration=ner_config,
        )
        self.nlp = {language: nlp}  # type: ignore[assignment]

    def load(self) -> None:
        """Already loaded in ``__init__``."""

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lemma_ or token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=scores,
        )


def load_ner_pipeline(model: str) -> Language:
    """Load an installed spaCy package with only what NER needs enabled."""
    if not spacy.util.is_package(model):
        # Fail fast at startup; never spacy.cli.download (the product is offline).
        raise RuntimeError(f"spaCy model package {model!r} is not installed")
    nlp = spacy.load(model)
    keep = {"ner"}
    ner_tok2vec = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" in str(ner_tok2vec.get("@architectures", "")):
        # NER shares an upstream embedding layer in this model; keep it.
        keep.add(str(ner_tok2vec.get("upstream", "tok2vec")).replace("*", "tok2vec"))
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in keep])
    return nlp


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
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, tuple[Detection, ...]] = OrderedDict()
        self._ready = False
        nlp = load_ner_pipeline(settings.spacy_model)
        self._nlp = nlp
        ignore = set(settings.ignore_types)
        ner_config = NerModelConfiguration(
            model_to_presidio_entity_mapping=_SPACY_TO_PRESIDIO,
            labels_to_ignore=_SPACY_LABELS_NEVER_USED
            + [k for k, v in _SPACY_TO_PRESIDIO.items() if v in ignore]
            + sorted(ignore),
        )
        self._nlp_engine = _LoadedSpacyEngine(settings.language, nlp, ner_config)
        self._analyzer = AnalyzerEngine(
            registry=self._registry(ignore, extra_recognizers),
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
        # Warm up (lazy model parts, regex compilation) so the first request is not slow.
        self._analyze_texts(["Warm-up: call me at 555-0100, my name is Sam."])
        self._ready = True

    @property
    def ready(self) -> bool:
        """True once the engine is built and has scanned a warm-up text."""
        return self._ready

    @property
    def settings(self) -> ScannerSettings:
        return self._settings

    def _registry(self, ignore: set[str], extra: Sequence[EntityRecognizer]) -> RecognizerRegistry:
        lang = self._settings.language
        recognizers: list[EntityRecognizer] = [
            getattr(predefined, name)(supported_language=lang) for name in _BASE_RECOGNIZERS
        ]
        national = set(self._settings.extra_national_ids)
        for name in predefined.__all__:
            cls = getattr(predefined, name)
            if name.endswith("Recognizer") and _emits(cls, national, lang):
                recognizers.append(cls(supported_language=lang))
        recognizers += [
            OfflineEmailRecognizer(offline_tld_extractor(), supported_language=lang),
            SecretsRecognizer(supported_language=lang),
            StreetAddressRecognizer(supported_language=lang),
            ContextNameRecognizer(self._looks_like_name, frozenset(STOP_WORDS), lang),
            predefined.SpacyRecognizer(
                supported_language=lang,
                supported_entities=self._nlp_engine.get_supported_entities(),
            ),
        ]
        recognizers = [r for r in recognizers if not set(r.get_supported_entities()) <= ignore]
        recognizers += list(extra)
        return RecognizerRegistry(recognizers=recognizers, supported_languages=[lang])

    def _looks_like_name(
        self, window: str, start: int, end: int, ner_only: bool
    ) -> list[tuple[int, int]]:
        """ContextNameRecognizer's check: PERSON spans by NER, else all tokens tagged NNP.

        Runs the (otherwise disabled) tagger only on this short window; called
        inside the scan lock, and only when a self-introduction cue matched.
        """
        doc = self._nlp.make_doc(window)
        components = dict(self._nlp.components)
        for name in ("tok2vec", "tagger", "ner"):
            if name in components and (name == "ner" or not ner_only):
                doc = components[name](doc)
        persons = [
            (max(e.start_char, start), min(e.end_char, end))
            for e in doc.ents
            if e.label_ == "PERSON" and e.start_char < end and e.end_char > start
        ]
        if persons or ner_only:
            return persons
        inside = [t for t in doc if t.idx >= start and t.idx + len(t) <= end]
        if inside and all(t.tag_ in ("NNP", "NNPS") for t in inside):
            return [(start, end)]
        return []

    # ---- scanning -------------------------------------------------------------------

    def scan(self, fields: Sequence[TextField], non_text_parts: Sequence[str] = ()) -> ScanResult:
        """Scan one request's text fields; never raises (fails closed)."""
        try:
            return self.scan_many([(fields, non_text_parts)])[0]
        except Exception:  # fail closed on anything
            return ScanResult.failed()

    def scan_many(
        self, requests: Sequence[tuple[Sequence[TextField], Sequence[str]]]
    ) -> list[ScanResult]:
        """Scan several requests at once, batching all their new texts through spaCy."""
        try:
            texts = [f.text for fields, _ in requests for f in fields]
            found = self._detect(texts)
        except Exception as exc:  # fail closed on anything
            # Type only: an exception message could quote the text.
            logger.warning("privacy scan failed: %s", type(exc).__name__)
            return [ScanResult.failed() for _ in requests]
        results = []
        for fields, non_text in requests:
            detections = [found[f.text] for f in fields]
            results.append(self._verdict(fields, detections, non_text))
        return results

    async def ascan(
        self, fields: Sequence[TextField], non_text_parts: Sequence[str] = ()
    ) -> ScanResult:
        """``scan`` in a worker thread, bounded by ``settings.timeout_s``."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.scan, fields, non_text_parts),
                timeout=self._settings.timeout_s,
            )
        except Exception:  # timeout or anything else: fail closed
            return ScanResult.failed("scan_failed")

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
        weak = self._settings.weak_types
        strong = sorted({e.type for e in entities if e.type not in weak})
        reasons = [f"entity:{t}" for t in strong]
        non_text = tuple(non_text_parts)
        if non_text and self._settings.non_text_sensitive:
            reasons.append("non_text_part")
        return ScanResult(
            entities=entities,
            sensitive=bool(reasons),
            reasons=tuple(reasons),
            non_text_parts=non_text,
        )

    def _detect(self, texts: Iterable[str]) -> dict[str, tuple[Detection, ...]]:
        """Detections per distinct text, from the cache or a fresh batched analysis."""
        out: dict[str, tuple[Detection, ...]] = {}
        todo: dict[bytes, str] = {}
        for text in texts:
            if not isinstance(text, str):
                raise TypeError("text field is not a string")
            if text in out:
                continue
            key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
            if cached is not None:
                out[text] = cached
            elif text.strip():
                todo[key] = text
            else:
                out[text] = ()
        if todo:
            fresh = self._analyze_texts(list(todo.values()))
            with self._lock:
                for key, text in todo.items():
                    out[text] = fresh[text]
                    if self._settings.cache_size:
                        self._cache[key] = fresh[text]
                while len(self._cache) > self._settings.cache_size:
                    self._cache.popitem(last=False)
        return out

    def _analyze_texts(self, texts: list[str]) -> dict[str, tuple[Detection, ...]]:
        """Run Presidio over texts (chunking long ones), one nlp.pipe batch for all."""
        pieces: list[tuple[str, int, str]] = []  # (text, offset, chunk)
        for text in texts:
            pieces += [(text, off, chunk) for off, chunk in self._chunks(text)]
        raw: dict[str, list[Detection]] = {text: [] for text in texts}
        with self._lock:
            artifacts = self._nlp_engine.process_batch(
                [chunk for _, _, chunk in pieces],
                self._settings.language,
                batch_size=self._settings.batch_size,
            )
            for (text, offset, chunk), item in zip(pieces, artifacts, strict=True):
                nlp_artifacts = item[-1]
                results = self._analyzer.analyze(
                    chunk,
                    language=self._settings.language,
                    entities=self._entities,
                    score_threshold=self._min_threshold,
                    nlp_artifacts=nlp_artifacts,
                )
                raw[text] += [
                    (r.entity_type, r.start + offset, r.end + offset, float(r.score))
                    for r in results
                    if r.score >= self._settings.threshold_for(r.entity_type)
                    and not (r.entity_type == "PERSON" and _not_a_name(chunk[r.start : r.end]))
                ]
        return {text: _dedupe(found) for text, found in raw.items()}

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


def _emits(cls: Any, wanted: set[str], language: str) -> bool:
    """Is ``cls`` a national-ID recognizer for one of the ``wanted`` entity types?"""
    if not wanted or not getattr(cls, "COUNTRY_CODE", None):
        return False
    try:
        return bool(set(cls(supported_language=language).supported_entities) & wanted)
    except Exception:  # optional recognizers with extra dependencies
        return False


_CODE_CHARS = re.compile(r"[=()\[\]{}<>_\d@#$%^*|\\/]")


def _not_a_name(span: str) -> bool:
    """NER noise on code and acronyms: "len(X", "str2", "JSON", "X" are not people."""
    words = span.split()
    if _CODE_CHARS.search(span) or not words:
        return True
    return len(words) == 1 and (len(span) <= 2 or (span.isupper() and len(span) <= 5))


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
