"""Our own Presidio recognizers: secrets, names from context, street addresses,
and an email recognizer that never touches the network.

Secrets come from detect-secrets' plugin regexes (so they track a maintained
project); the few handwritten patterns cover what it has no plugin for in prose
("my password is ...", ``Password=...;`` in connection strings, bearer tokens).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import tldextract
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import EmailRecognizer

SECRET_TYPES: frozenset[str] = frozenset({"API_KEY", "PRIVATE_KEY", "PASSWORD", "SECRET"})

# detect-secrets plugin -> the entity type we report for it.
_PLUGINS: tuple[tuple[type[RegexBasedDetector], str], ...] = (
    (AWSKeyDetector, "API_KEY"),
    (AzureStorageKeyDetector, "API_KEY"),
    (DiscordBotTokenDetector, "API_KEY"),
    (GitHubTokenDetector, "API_KEY"),
    (GitLabTokenDetector, "API_KEY"),
    (MailchimpDetector, "API_KEY"),
    (NpmDetector, "API_KEY"),
    (OpenAIDetector, "API_KEY"),
    (PypiTokenDetector, "API_KEY"),
    (SendGridDetector, "API_KEY"),
    (SlackDetector, "API_KEY"),
    (SquareOAuthDetector, "API_KEY"),
    (StripeDetector, "API_KEY"),
    (TelegramBotTokenDetector, "API_KEY"),
    (TwilioKeyDetector, "API_KEY"),
    (JwtTokenDetector, "SECRET"),
    (PrivateKeyDetector, "PRIVATE_KEY"),
    (BasicAuthDetector, "PASSWORD"),
)

# A PEM block: the plugin finds the header, we widen the span to the whole key.
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")

_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-+/=]*")

# Prose and connection strings, where detect-secrets (built for source files) has no plugin.
_HANDWRITTEN: tuple[tuple[re.Pattern[str], str], ...] = (
    # "my password is hunter2", "the passcode was 1234", "pin: 4321"
    (
        re.compile(
            r"\b(?:password|passwd|passcode|passphrase|pin|pwd)\s*(?:is|was|=|:)\s*"
            r"[\"'`]?([^\s\"'`;,]{4,200})",
            re.IGNORECASE,
        ),
        "PASSWORD",
    ),
    # ADO.NET / JDBC / DSN key-value strings: "Server=db;User Id=sa;Password=S3cr3t;"
    (re.compile(r"\b(?:password|pwd)\s*=\s*([^;\s\"']{1,200})", re.IGNORECASE), "PASSWORD"),
    # "Authorization: Bearer <token>", "api_token = <token>", "access token: <token>"
    (
        re.compile(
            r"\b(?:bearer|(?:access|auth|api|secret|refresh|session)[ _-]?(?:token|key))"
            r"\s*[:=]?\s*[\"'`]?([A-Za-z0-9._~+/=-]{16,})",
            re.IGNORECASE,
        ),
        "SECRET",
    ),
)

# A credential-looking value: a single token that is not a plain lowercase word,
# so "password: strong" or "pin is important" in prose stay clean.
_CREDENTIAL_VALUE = re.compile(r"^(?=.*[\d\W_A-Z]).{4,}$|^.{12,}$")


def _looks_like_credential(value: str) -> bool:
    return bool(_CREDENTIAL_VALUE.match(value)) and value.lower() not in _PLACEHOLDERS


_PLACEHOLDERS = frozenset(
    {"xxxx", "xxxxxxxx", "****", "********", "<password>", "password", "changeme", "none", "null"}
)


class SecretsRecognizer(EntityRecognizer):
    """Credentials and keys via detect-secrets' plugin regexes plus a few prose patterns.

    Example::

        SecretsRecognizer().analyze("key AKIAIOSFODNN7EXAMPLE", ["API_KEY"], None)
    """

    def __init__(self, supported_language: str = "en") -> None:
        self._plugins = [(cls(), entity) for cls, entity in _PLUGINS]
        super().__init__(
            supported_entities=sorted(SECRET_TYPES),
            name="SecretsRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: plugins are plain regex holders."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        wanted = set(entities) if entities else SECRET_TYPES
        results = [
            RecognizerResult(entity, start, end, score, recognition_metadata=self._meta())
            for entity, start, end, score in self._find(text)
            if entity in wanted
        ]
        return results

    def _meta(self) -> dict[str, Any]:
        return {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }

    def _find(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        for plugin, entity in self._plugins:
            for regex in plugin.denylist:
                for match in regex.finditer(text):
                    # Let the plugin's own validation (e.g. JWT structure) confirm.
                    if not any(True for _ in plugin.analyze_string(match.group(0))):
                        continue
                    start, end = _secret_span(match)
                    if entity == "PRIVATE_KEY":
                        # Widen "BEGIN ... KEY" to the whole PEM block, dashes included.
                        while start > 0 and text[start - 1] == "-":
                            start -= 1
                        pem_end = _PEM_END.search(text, end)
                        if pem_end is not None:
                            end = pem_end.end()
                    elif entity == "SECRET":
                        # The JWT regex stops lazily inside the signature; take all of it.
                        tail = _TOKEN_TAIL.match(text, end)
                        end = tail.end() if tail else end
                    yield entity, start, end, 0.95
        for line_start, line in _lines(text):
            for regex, group in CONFIG_DENYLIST_REGEX_TO_GROUP.items():
                found = regex.search(line)
                if found is None:
                    continue
                value = (found.group(group) or "").rstrip(";,")
                if value and " " not in value.strip() and _looks_like_credential(value):
                    start = line_start + found.start(group)
                    yield "PASSWORD", start, start + len(value), 0.8
        for pattern, entity in _HANDWRITTEN:
            for match in pattern.finditer(text):
                if _looks_like_credential(match.group(1)):
                    yield entity, match.start(1), match.end(1), 0.8


def _secret_span(match: re.Match[str]) -> tuple[int, int]:
    # Plugins that capture a group capture the secret itself (basic-auth password,
    # AWS secret key); short groups are prefixes like "ghp", so keep the whole match.
    if match.re.groups >= 1 and match.group(1) and len(match.group(1)) >= 4:
        return match.start(1), match.end(1)
    return match.start(0), match.end(0)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer, validating domains with an injected offline TLDExtract.

    Presidio calls the module-level ``tldextract.extract``, whose default extractor
    fetches the public suffix list over HTTP on first use. Ours reads only the
    snapshot bundled with tldextract and keeps no disk cache.
    """

    def __init__(self, extractor: tldextract.TLDExtract, supported_language: str = "en") -> None:
        self._extractor = extractor
        super().__init__(supported_language=supported_language)

    def validate_result(self, pattern_text: str) -> bool:
        return bool(self._extractor(pattern_text).fqdn)


def offline_tld_extractor() -> tldextract.TLDExtract:
    """A TLDExtract that never touches the network or the disk cache."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|"
    r"square|sq|terrace|ter|way|parkway|pkwy|highway|hwy|circle|cir|trail|trl|alley|"
    r"crescent|cres|close|gardens|grove|row|plaza|loop|pike|route|rte|"
    r"strasse|straße|str|rue|via|calle|avenida|rua|katu|gatan|vej|weg|laan|straat)"
)


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses, P.O. boxes and apartment numbers in common Western formats.

    Presidio ships no address recognizer and spaCy only sees the city or country
    (LOCATION), which alone is not private; a house number next to a street is.
    """

    PATTERNS = (
        # 221B Baker Street / 1600 Pennsylvania Ave NW
        Pattern(
            "number street",
            r"\b\d{1,6}[A-Za-z]?,?\s+(?:[A-Za-z][\w.'-]*\s+){0,4}" + _STREET_SUFFIX + r"\b\.?",
            0.6,
        ),
        # Rue de Rivoli 12 / Calle Mayor, 5 / Hauptstraße 5
        Pattern(
            "street number",
            r"\b(?:rue|via|calle|avenida|rua|avenue)\s+(?:[\w.'-]+\s+){0,4}?[\w.'-]+,?\s+\d{1,5}\b",
            0.5,
        ),
        Pattern(
            "germanic street number",
            r"\b[A-Za-zÀ-ÿ-]+(?:straße|strasse|str\.|gasse|weg|katu|gatan|vej|laan|straat|"
            r"veien|vegen|vägen|gata|gaten|gade|stræti|stræde|tie|utca|plein|gracht|kuja|polku|"
            r"allee|allé|platz|ufer)\s+\d{1,5}[a-z]?\b",
            0.5,
        ),
        # Central-European order with a separate street word: "Erzsébet tér 92", "Kossuth u. 7"
        Pattern(
            "street word number",
            r"\b[A-Za-zÀ-ÿ-]+\s+(?:u\.|út|utca|tér|körút|ulica|ul\.|náměstí|nám\.)\s+\d{1,5}\b",
            0.5,
        ),
        Pattern(
            "unit", r"\b(?:apt|apartment|suite|ste|unit|flat)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b", 0.5
        ),
        Pattern("po box", r"\bP\.?\s?O\.?\s+Box\s+\d{1,7}\b", 0.6),
    )

    CONTEXT = ("address", "live", "lives", "living", "located", "ship", "deliver", "mail")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            supported_language=supported_language,
            name="StreetAddressRecognizer",
        )


# is_name(window, start, end, ner_only): the spans of window[start:end] that read as a
# person's name (by NER, or unless ner_only by part-of-speech tags).
NameCheck = Callable[[str, int, int, bool], list[tuple[int, int]]]

# Common addressees after a greeting that a tagger may still call proper nouns.
_NOT_NAMES = frozenset({"world", "there", "everyone", "all", "team", "guys", "folks", "again"})


_WORD = r"[^\W\d_][\w'’-]*"
_CANDIDATE = rf"({_WORD}(?:[ \t]+{_WORD}){{0,2}})"

# Phrases after which the next words are a name whatever their casing.
_STRONG = re.compile(
    r"\b(?:my\s+name\s+is|my\s+name's|my\s+full\s+name\s+is|(?:full\s+)?name\s*:|"
    r"i\s+am\s+called|i'm\s+called|signed|yours\s+truly)[ \t]*,?[ \t]*" + _CANDIDATE,
    re.IGNORECASE,
)
# Self-introductions at the start of a message, line or after a greeting:
# "this is maria from HR", "I'm JOHN SMITH." The next words may be an adjective
# ("I'm tired."), so these are confirmed by NER on a re-cased copy.
_WEAK = re.compile(
    r"(?:^|\n|[.!?][ \t]+|\b(?:hi|hello|hey|greetings)\b[,!]?[ \t]*)"
    r"(?:i'm|i’m|i\s+am|im|this\s+is|it's|it\s+is)[ \t]+" + _CANDIDATE + r"(?=[ \t]*(?:[,.!?;\n]|$|"
    r"(?:from|here|speaking|and|with|at|of)\b))",
    re.IGNORECASE,
)
# "Hi bob," / "Dear Ms. smith," / "thanks anna!"
_GREETING = re.compile(
    r"(?:^|\n)[ \t]*(?:hi|hello|hey|dear|thanks|thank\s+you)[ \t]+"
    r"(?:(?:mr|mrs|ms|dr|prof)\.?[ \t]+)?" + _CANDIDATE + r"[ \t]*[,!:\n]",
    re.IGNORECASE,
)
# A sign-off line followed by a short line that is just a name: "Regards,\nbob"
_SIGNATURE = re.compile(
    r"\b(?:regards|best|cheers|thanks|thank\s+you|sincerely|yours|best\s+wishes|love|"
    r"respectfully|warmly)[ \t]*[,!.]?[ \t]*\n+[ \t]*(?:-+[ \t]*)?"
    + _CANDIDATE
    + r"[ \t]*(?=\n|$)",
    re.IGNORECASE,
)
# A name in a form, a dialogue or after "named": "last name? boyle", "she named him sean",
# "sometimes people call me owen", "maiden name is nyberg". Confirmed by NER once re-cased.
_NAMING = re.compile(
    r"\b(?:(?:first|last|middle|maiden|full|family|given|sur)\s*name(?:\s+(?:is|was))?\s*[:?]?|"
    r"name\s+on\s+the\s+(?:account|card)(?:\s+is)?\s*[:?]?|named|nicknamed|call\s+me|"
    r"(?:is|was)\s+called|known\s+as|goes\s+by)"
    r"(?:[ \t]+(?:him|her|them|it|is|was|user:|\w+:))?[ \t]*[:,?]?[ \t]*" + _CANDIDATE,
    re.IGNORECASE,
)
# A title before a name: "Dr. patel", "mrs okafor".
_TITLED = re.compile(r"\b(?:mr|mrs|ms|mx|miss|dr|prof)\.?[ \t]+" + _CANDIDATE, re.IGNORECASE)


def relationship_regex(relationships: tuple[str, ...]) -> re.Pattern[str] | None:
    """'my kid lukas', "our client's name is ana": a relation noun after my/our, then a name."""
    if not relationships:
        return None
    nouns = "|".join(sorted((re.escape(r) for r in relationships), key=len, reverse=True))
    return re.compile(
        r"\b(?:my|our)[ \t]+(?:[\w-]+[ \t]+)?(?:" + nouns + r")(?:'s|’s)?"
        r"(?:[ \t]+name[ \t]+is|[ \t]+(?:named|called|is))?[ \t]*,?[ \t]*" + _CANDIDATE,
        re.IGNORECASE,
    )


# Two or more words in capitals: spaCy's NER rarely sees names written that way.
_CAPS_RUN = re.compile(r"\b[A-Z][A-Z'’-]+(?:[ \t]+[A-Z][A-Z'’-]+)+\b")


class ContextNameRecognizer(EntityRecognizer):
    """Person names found from context, in any casing.

    spaCy's small model finds "John Smith" but not "my name is amer", "I'm JOHN
    SMITH" or a lowercase signature. Strong cues ("my name is") are trusted;
    weak ones ("this is X.") and capitalised runs are confirmed by ``is_name``
    (NER / part-of-speech tags) on a copy where only the candidate is re-cased to
    Title case, so "I'm tired." stays clean.

    Example::

        ContextNameRecognizer(is_name, stop_words).analyze("hi, this is maria from HR", ...)
    """

    def __init__(
        self,
        is_name: NameCheck,
        stop_words: frozenset[str],
        supported_language: str = "en",
        *,
        relationships: tuple[str, ...] = (),
    ) -> None:
        self._is_name = is_name
        self._stop = stop_words
        self._cues: list[tuple[re.Pattern[str], float, bool]] = [
            (_STRONG, 0.8, False),
            (_SIGNATURE, 0.7, False),
            (_WEAK, 0.7, True),
            (_GREETING, 0.6, True),
            (_NAMING, 0.7, True),
            (_TITLED, 0.6, True),
        ]
        relation = relationship_regex(relationships)
        if relation is not None:
            self._cues.append((relation, 0.7, True))
        super().__init__(
            supported_entities=["PERSON"],
            name="ContextNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: the NER callable is injected."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and "PERSON" not in entities:
            return []
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        spans: dict[tuple[int, int], float] = {}
        for regex, score, confirm in self._cues:
            for match in regex.finditer(text):
                span = self._trim(text, match.start(1), match.end(1))
                if span is None:
                    continue
                for found in self._confirmed(text, *span, ner_only=False) if confirm else [span]:
                    spans[found] = max(score, spans.get(found, 0.0))
        for match in _CAPS_RUN.finditer(text):
            # A run of capitals may hold more than a name ("CALL JOHN SMITH NOW"):
            # keep only what NER marks as a person once re-cased.
            for found in self._confirmed(text, match.start(), match.end(), ner_only=True):
                spans.setdefault(found, 0.6)
        return [
            RecognizerResult("PERSON", start, end, score, recognition_metadata=meta)
            for (start, end), score in spans.items()
        ]

    def _trim(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Keep the leading words that are not stop words ("amer and I" -> "amer")."""
        kept_end = start
        for word in re.finditer(r"\S+", text[start:end]):
            if word.group(0).lower().strip("'’") in self._stop:
                break
            kept_end = start + word.end()
        return (start, kept_end) if kept_end > start else None

    def _confirmed(
        self, text: str, start: int, end: int, *, ner_only: bool
    ) -> list[tuple[int, int]]:
        """The name spans inside text[start:end] once it is written like a name (Title case)."""
        candidate = text[start:end]
        if candidate.lower() in _NOT_NAMES:
            return []
        left = max(0, start - 80)
        right = min(len(text), end + 80)
        recased = candidate.title()
        if len(recased) != len(candidate):  # some Unicode changes length when re-cased
            recased = candidate
        window = text[left:start] + recased + text[end:right]
        found = self._is_name(window, start - left, end - left, ner_only)
        return [(s + left, e + left) for s, e in found]
