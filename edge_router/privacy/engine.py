"""Building the scanner's engine: the trimmed spaCy pipeline and the recognizer registry.

Kept apart from ``scanner.py`` (which scans, caches and decides) so each stays short.
Nothing here downloads anything: a missing model is an error at startup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import phonenumbers
import spacy
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerRegistry
from presidio_analyzer import predefined_recognizers as predefined
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import NumpyOps

from edge_router.privacy.addresses import PostalAddressRecognizer
from edge_router.privacy.blas_threads import limit_openblas_threads
from edge_router.privacy.columns import (
    ColumnBirthDateRecognizer,
    ColumnIdRecognizer,
    ColumnNameRecognizer,
    ColumnPhoneRecognizer,
    ColumnUsernameRecognizer,
)
from edge_router.privacy.foreign import ScriptNameRecognizer
from edge_router.privacy.gazetteer import GazetteerNameRecognizer
from edge_router.privacy.handles import HandleRecognizer
from edge_router.privacy.ids import BirthDateRecognizer, LabelledIdRecognizer
from edge_router.privacy.lone_names import LoneNames
from edge_router.privacy.namecheck import NameChecks
from edge_router.privacy.namelists import (
    NameLists,
    british_spellings,
    english_words,
    fold,
    load_name_lists,
)
from edge_router.privacy.names import ContextNameRecognizer
from edge_router.privacy.nameshape import NameShape
from edge_router.privacy.numbers import (
    AnyCaseIbanRecognizer,
    ContextPhoneRecognizer,
    LuhnCardRecognizer,
)
from edge_router.privacy.recognizers import (
    OfflineEmailRecognizer,
    SecretsRecognizer,
    StreetAddressRecognizer,
    offline_tld_extractor,
)
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.speakers import LayoutNameRecognizer

logger = logging.getLogger(__name__)

SPACY_TO_PRESIDIO = {
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
# HandleRecognizer gates each of its patterns itself with substring checks.
_NEVER_GATED = frozenset(
    {
        "SecretsRecognizer",
        "ContextNameRecognizer",
        "GazetteerNameRecognizer",
        "SpacyRecognizer",
        "HandleRecognizer",
        "ScriptNameRecognizer",
        "LayoutNameRecognizer",
        "ColumnNameRecognizer",
        "ColumnUsernameRecognizer",
        "ColumnPhoneRecognizer",
        "ColumnBirthDateRecognizer",
        "ColumnIdRecognizer",
    }
)


def _gate(recognizer: EntityRecognizer, needs: re.Pattern[str]) -> None:
    """Make ``recognizer`` return nothing, without running, when ``needs`` is absent.

    A pattern recognizer is also skipped when none of its own patterns matches: one
    regex search costs a fraction of Presidio's per-recognizer bookkeeping.
    """
    inner = recognizer.analyze
    own = _own_patterns(recognizer)

    def analyze(text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        if needs.search(text) is None or (own is not None and own.search(text) is None):
            return []
        return inner(text, entities, nlp_artifacts)

    recognizer.analyze = analyze  # type: ignore[method-assign]


def _own_patterns(recognizer: EntityRecognizer) -> re.Pattern[str] | None:
    """All of a PatternRecognizer's regexes as one, with its flags; None if not possible."""
    patterns = getattr(recognizer, "patterns", None)
    if not isinstance(recognizer, PatternRecognizer) or not patterns:
        return None
    try:
        return re.compile(
            "|".join(f"(?:{p.regex})" for p in patterns), recognizer.global_regex_flags or 0
        )
    except (re.error, TypeError):  # a pattern only Presidio's ``regex`` engine reads
        return None


class LoadedSpacyEngine(SpacyNlpEngine):
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

    def doc_artifacts(self, doc: Doc, language: str) -> NlpArtifacts:
        """Presidio's artifacts for a ``Doc`` that NER has already annotated."""
        return self._doc_to_nlp_artifact(doc, language)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(
            self._get_entities(doc), self._get_scores_for_entities(doc)
        )
        # Read token attributes as arrays: a Python Token per word per pass is a
        # noticeable share of a scan. No lemmatizer runs, so lower case stands in.
        strings = doc.vocab.strings
        columns = doc.to_array(["IDX", "LOWER", "IS_STOP", "IS_PUNCT"]).tolist()
        lemmas = [strings[lower] for _, lower, _, _ in columns]
        artifacts = NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[idx for idx, _, _, _ in columns],
            lemmas=lemmas,
            nlp_engine=None,  # keywords are set below
            language=language,
            scores=scores,
        )
        # What NlpArtifacts.set_keywords computes with two vocabulary lookups per word.
        artifacts.keywords = [
            part
            for lemma, (_, _, stop, punct) in zip(lemmas, columns, strict=True)
            if not stop and not punct and lemma not in ("-PRON-", "be")
            for part in lemma.split(":")
        ]
        artifacts.nlp_engine = self
        return artifacts


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
    set_matmul(nlp)
    limit_openblas_threads()  # small products: one thread, see blas_threads.py
    return nlp


def set_matmul(nlp: Language, *, blis: bool = False) -> None:
    """Choose how the pipeline's CPU layers multiply matrices: numpy's BLAS or thinc's BLIS.

    Two thirds of NER's time is the token encoder's and parser's matrix products.
    thinc's ``NumpyOps`` sends them to its bundled BLIS by default, which ran them at
    about a quarter of the speed of numpy's OpenBLAS on our machines (22 against 90
    GFLOPS for NER's 288-wide layers; ``bench/matmul.py``). ``use_blis=False`` is
    thinc's own switch for the numpy path: the same products, rounded differently in
    the last float32 bit (no entity changed on 3,000 prompts). ``blis=True`` restores
    thinc's default, for the bench. GPU (Cupy) layers are left as they are.
    """
    ops = NumpyOps(use_blis=blis)
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is None:
            continue
        for node in model.walk():
            if isinstance(node.ops, NumpyOps):
                node.ops = ops


def ner_configuration(settings: ScannerSettings) -> NerModelConfiguration:
    """spaCy label -> Presidio type, dropping labels we never use and ignored types."""
    ignore = set(settings.ignore_types)
    return NerModelConfiguration(
        model_to_presidio_entity_mapping=SPACY_TO_PRESIDIO,
        labels_to_ignore=_SPACY_LABELS_NEVER_USED
        + [k for k, v in SPACY_TO_PRESIDIO.items() if v in ignore]
        + sorted(ignore),
    )


def build_registry(
    settings: ScannerSettings,
    nlp: Language,
    nlp_engine: SpacyNlpEngine,
    names: NameChecks,
    extra: Sequence[EntityRecognizer] = (),
) -> RecognizerRegistry:
    """Every recognizer the scanner runs, prefiltered where a cheap regex allows."""
    # phonenumbers (Presidio's phone recognizer) recompiles its region patterns once they
    # fall out of re's 512-entry cache, about 0.7 ms a prompt; its own cache keeps them.
    enable_cache = getattr(phonenumbers, "enable_pattern_cache", None)
    if enable_cache is not None:
        enable_cache()
    lang = settings.language
    ignore = set(settings.ignore_types)
    recognizers: list[EntityRecognizer] = [
        getattr(predefined, name)(supported_language=lang) for name in _BASE_RECOGNIZERS
    ]
    national = set(settings.extra_national_ids)
    for name in predefined.__all__:
        cls = getattr(predefined, name)
        if name.endswith("Recognizer") and _emits(cls, national, lang):
            recognizers.append(cls(supported_language=lang))
    stop = frozenset(STOP_WORDS)
    english = english_words(nlp)
    recognizers += [
        OfflineEmailRecognizer(offline_tld_extractor(), lang, _plain_word(english, settings)),
        SecretsRecognizer(supported_language=lang),
        StreetAddressRecognizer(supported_language=lang),
        HandleRecognizer(lang, english),
        PostalAddressRecognizer(supported_language=lang),
        LuhnCardRecognizer(supported_language=lang),
        ContextPhoneRecognizer(supported_language=lang),
        AnyCaseIbanRecognizer(supported_language=lang),
        LabelledIdRecognizer(supported_language=lang),
        BirthDateRecognizer(supported_language=lang),
        ContextNameRecognizer(
            names.looks_like_name,
            stop,
            lang,
            relationships=settings.relationship_words,
            english=english,
            names=_name_lists(settings),
            given=LoneNames(settings.given_names, on=False).listed,
        ),
        predefined.SpacyRecognizer(
            supported_language=lang, supported_entities=nlp_engine.get_supported_entities()
        ),
        ScriptNameRecognizer(_name_lists(settings), lang),
        LayoutNameRecognizer(english, _name_lists(settings), lang),
        ColumnNameRecognizer(lang),
        ColumnUsernameRecognizer(lang),
        ColumnPhoneRecognizer(lang),
        ColumnBirthDateRecognizer(lang),
        ColumnIdRecognizer(lang),
    ]
    if settings.name_lists:
        recognizers += _gazetteer(settings, nlp, stop)
    recognizers = [r for r in recognizers if not set(r.get_supported_entities()) <= ignore]
    if settings.prefilter_recognizers:
        for rec in recognizers:
            name = str(getattr(rec, "name", ""))
            if name not in _NEVER_GATED:
                _gate(rec, _GATES.get(name, _DIGIT))
    recognizers += list(extra)
    return RecognizerRegistry(recognizers=recognizers, supported_languages=[lang])


def _plain_word(english: frozenset[str], settings: ScannerSettings) -> Callable[[str], bool]:
    """An English word that is no listed name ("payments", not "john"); none without lists."""
    lists = _name_lists(settings)
    if lists is None:
        return lambda _: False

    def plain(word: str) -> bool:
        base = word[:-1] if word not in english and word.endswith("s") else word  # "events"
        return base in english and not any(
            fold(w) in lists.first or fold(w) in lists.last for w in (word, base)
        )

    return plain


def _name_lists(settings: ScannerSettings) -> NameLists | None:
    return load_name_lists() if settings.name_lists else None


def _gazetteer(
    settings: ScannerSettings, nlp: Language, stop: frozenset[str]
) -> list[EntityRecognizer]:
    """The name-list recognizer, or nothing (logged) if its data is not installed."""
    lists = load_name_lists()
    wordnet = english_words(nlp, british=False)
    english = wordnet | british_spellings(wordnet)
    if lists is None or not english:
        # Recall drops to NER and context cues; nothing is sent unscanned.
        logger.warning("name lists unavailable; gazetteer names are off")
        return []
    shape = None
    if settings.name_shape:
        # Trained on WordNet's own spellings: its measured recall is for those.
        shape = NameShape.train(lists.first | lists.last, wordnet)
    return [
        GazetteerNameRecognizer(
            lists,
            english,
            stop,
            score=settings.name_list_score,
            shape=shape,
            shape_threshold=settings.name_shape_threshold,
            given=LoneNames(settings.given_names, on=False).listed,
            supported_language=settings.language,
        )
    ]


def _emits(cls: Any, wanted: set[str], language: str) -> bool:
    """Is ``cls`` a national-ID recognizer for one of the ``wanted`` entity types?"""
    if not wanted or not getattr(cls, "COUNTRY_CODE", None):
        return False
    try:
        return bool(set(cls(supported_language=language).supported_entities) & wanted)
    except Exception:  # optional recognizers with extra dependencies
        return False
