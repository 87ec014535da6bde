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
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer import predefined_recognizers as predefined
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from edge_router.privacy.context import SensitivityRules
from edge_router.privacy.numbers import (
    AnyCaseIbanRecognizer,
    ContextPhoneRecognizer,
    LuhnCardRecognizer,
    PostalAddressRecognizer,
)
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
# NER labels a rare name gets by mistake; after a naming cue they count as a name.
_NAME_LIKE_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT"}
)
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


# Cheap prefilters: a recognizer runs only if its values could occur in the text at all.
# Every pattern of these needs a digit, except the ones given their own gate.
_DIGIT = re.compile(r"\d")
_GATES: dict[str, re.Pattern[str]] = {
    "OfflineEmailRecognizer": re.compile("@"),
    # A domain: a dot with letters straight after it ("example.org", not "end. Next").
    "UrlRecognizer": re.compile(r"[A-Za-z0-9-]\.[A-Za-z]{2}"),
    "MacAddressRecognizer": re.compile(r"[0-9A-Fa-f]{2}[:.-][0-9A-Fa-f]{2}"),
    "IpRecognizer": re.compile(r"\d|:[0-9A-Fa-f]{0,4}:"),
    # phonenumbers accepts nothing shorter than 5 digits (even with separators between).
    "PhoneRecognizer": re.compile(r"\d(?:\D{0,4}\d){4}"),
    "ContextPhoneRecognizer": re.compile(r"\d(?:\D{0,4}\d){6}"),
    "LuhnCardRecognizer": re.compile(r"\d(?:\D?\d){11}"),
}
_NEVER_GATED = frozenset({"SecretsRecognizer", "ContextNameRecognizer", "SpacyRecognizer"})


def _gate(recognizer: EntityRecognizer, needs: re.Pattern[str]) -> None:
    """Make ``recognizer`` return nothing, without running, when ``needs`` is absent."""
    inner = recognizer.analyze

    def analyze(text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        return [] if needs.search(text) is None else inner(text, entities, nlp_artifacts)

    recognizer.analyze = analyze  # type: ignore[method-assign]


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
        self._rules = SensitivityRules(settings)
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
        # Fixed for the engine's life: Presidio's analyze() would re-select them per call.
        self._recognizers = self._analyzer.registry.get_recognizers(
            language=settings.language, entities=self._entities
        )
        for rec in self._recognizers:
            if not rec.is_loaded:
                rec.load()
                rec.is_loaded = True
        # Warm up (lazy model parts, regex compilation) so the first request is not slow.
        self._analyze_texts(["Warm-up: call me at 555-0100 or sam@example.org, my name is Sam."])
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
            PostalAddressRecognizer(supported_language=lang),
            LuhnCardRecognizer(supported_language=lang),
            ContextPhoneRecognizer(supported_language=lang),
            AnyCaseIbanRecognizer(supported_language=lang),
            ContextNameRecognizer(
                self._looks_like_name,
                frozenset(STOP_WORDS),
                lang,
                relationships=self._settings.relationship_words,
            ),
            predefined.SpacyRecognizer(
                supported_language=lang,
                supported_entities=self._nlp_engine.get_supported_entities(),
            ),
        ]
        recognizers = [r for r in recognizers if not set(r.get_supported_entities()) <= ignore]
        if self._settings.prefilter_recognizers:
            for rec in recognizers:
                name = str(getattr(rec, "name", ""))
                if name not in _NEVER_GATED:
                    _gate(rec, _GATES.get(name, _DIGIT))
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
        inside_ents = [e for e in doc.ents if e.start_char < end and e.end_char > start]
        persons = [
            (max(e.start_char, start), min(e.end_char, end))
            for e in inside_ents
            if e.label_ == "PERSON"
        ]
        if persons or ner_only:
            return persons
        # The cue says a name follows; the small model often finds the span but calls a
        # rare name an ORG, GPE or PRODUCT ("call me Natalija"). Trust the span.
        named = [
            (max(e.start_char, start), min(e.end_char, end))
            for e in inside_ents
            if e.label_ in _NAME_LIKE_LABELS
        ]
        if named:
            return named
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
        found = {e.type for e in entities}
        reasons: list[str] = []
        if found:
            # Context words inside a finding ("Ivan King", "King Alexander St") are no cue.
            masked = [_mask(f.text, d) for f, d in zip(fields, detections, strict=True)]
            _, reasons = self._rules.decide([f.text for f in fields], found, masked)
        non_text = tuple(non_text_parts)
        if non_text and self._settings.non_text_sensitive:
            reasons.append("non_text_part")
        return ScanResult(
            entities=entities,
            sensitive=any(not r.startswith("weak:") for r in reasons),
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
                results = self._recognize(chunk, nlp_artifacts)
                raw[text] += [
                    (r.entity_type, r.start + offset, r.end + offset, float(r.score))
                    for r in results
                    if r.score >= self._settings.threshold_for(r.entity_type)
                    and not (r.entity_type == "PERSON" and _not_a_name(chunk[r.start : r.end]))
                ]
            if self._settings.recase_lowercase_text:
                self._recased_names(pieces, raw)
        return {text: _dedupe(found) for text, found in raw.items()}

    def _recognize(self, chunk: str, nlp_artifacts: NlpArtifacts) -> list[RecognizerResult]:
        """What Presidio's ``analyze`` does, minus its per-call recognizer selection and the
        deep copies for context enhancement of results whose recognizer has no context words.
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
        return list(EntityRecognizer.remove_duplicates(results))

    def _recased_names(
        self, pieces: list[tuple[str, int, str]], raw: dict[str, list[Detection]]
    ) -> None:
        """PERSON spans NER finds once lower-case chunks are re-cased (under the scan lock).

        The small model leans on capitals; "call patricia desrosiers" has none. Only
        chunks written almost without capitals pay for this second NER pass.
        """
        todo = [(text, off, chunk, rc) for text, off, chunk in pieces if (rc := _recase(chunk))]
        if not todo:
            return
        docs = self._nlp.pipe([rc for *_, rc in todo], batch_size=self._settings.batch_size)
        for (text, offset, chunk, _), doc in zip(todo, docs, strict=True):
            raw[text] += [
                ("PERSON", ent.start_char + offset, ent.end_char + offset, _RECASED_SCORE)
                for ent in doc.ents
                if _SPACY_TO_PRESIDIO.get(ent.label_) == "PERSON"
                and not _not_a_name(chunk[ent.start_char : ent.end_char])
            ]

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


# Below spaCy's flat 0.85: a name found only after re-casing is less certain.
_RECASED_SCORE = 0.6
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _recase(chunk: str) -> str | None:
    """Chunk with plain non-stop words capitalised, if it is written without capitals.

    Only whole words between spaces and punctuation are touched: "a.b@example.com" or
    "snake_case" stay as they are, so NER does not see names in addresses or code.
    """
    words = [m for m in _PLAIN_WORD.finditer(chunk)]
    if len(words) < 2 or not chunk.lstrip()[:1].islower():
        return None
    # Normal prose has capitals at least at sentence starts; "I" says nothing.
    caps = sum(1 for w in _WORD.findall(chunk) if w[0].isupper() and w not in _I)
    if caps > len(words) // 20:
        return None
    out = list(chunk)
    for match in words:
        # A sentence's first word is more often a verb ("email me ...") than a name.
        if chunk[: match.start(1)].rstrip()[-1:] in ("", ".", "!", "?", "\n"):
            continue
        word = match.group(1)
        head = word[0].upper()
        if len(word) > 1 and len(head) == 1 and word.lower() not in STOP_WORDS:
            out[match.start(1)] = head
    return "".join(out)


_I = frozenset({"I", "I'm", "I’m", "I'd", "I'll", "I've"})
# A word standing alone: spaces or sentence punctuation (not "." "@" "_" "/") either side.
_PLAIN_WORD = re.compile(
    r"(?:^|(?<=[\s\"'(\[,;:!?]))([^\W\d_]+(?:['’-][^\W\d_]+)*)(?=$|[\s\"'),\];:!?]|\.(?:\s|$))"
)


_CODE_CHARS = re.compile(r"[=()\[\]{}<>_\d@#$%^*|\\/]")


def _not_a_name(span: str) -> bool:
    """NER noise on code and acronyms: "len(X", "str2", "JSON", "X" are not people."""
    words = span.split()
    if _CODE_CHARS.search(span) or not words:
        return True
    return len(words) == 1 and (len(span) <= 2 or (span.isupper() and len(span) <= 5))


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
