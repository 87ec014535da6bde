"""Our own Presidio recognizers: secrets, street addresses, and an email recognizer
that never touches the network (names from context live in ``names.py``).

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

from edge_router.privacy.reserved import nobodys_mailbox

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

# Provider keys that detect-secrets 1.5 predates or has no plugin for, the ones people
# using an LLM router are likeliest to paste: current OpenAI (project, service-account,
# admin) and Anthropic keys, GitHub fine-grained tokens, Google, Hugging Face, Groq, xAI,
# Perplexity and Replicate keys. A fixed prefix, a long tail and a digit in it (random
# base62 of this length nearly always has one; a slug such as "sk-learn-..." has none).
_KEY_SHAPES = re.compile(
    r"(?<![\w-])(?:sk-|github_pat_|AIza|hf_|gsk_|xai-|pplx-|r8_)"
    r"(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{30,}(?![\w-])"
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
        for match in _KEY_SHAPES.finditer(text):
            yield "API_KEY", match.start(), match.end(), 0.95
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

    def __init__(
        self,
        extractor: tldextract.TLDExtract,
        supported_language: str = "en",
        plain_word: Callable[[str], bool] = lambda _: False,
    ) -> None:
        """``plain_word``: is a lower-case word a plain word, no name ("payments")?"""
        self._extractor = extractor
        self._plain = plain_word
        super().__init__(supported_language=supported_language)

    def validate_result(self, pattern_text: str) -> bool:
        """A real domain, and no role or stand-in address (``support@...``,
        ``oncall@example.com``): those name a function or nobody (``reserved.py``)."""
        if nobodys_mailbox(pattern_text, self._plain):
            return False
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


# A postal code (and city) right after a street: ", 10115 Berlin", ", London NW1 6XE",
# ", Springfield, IL 62704", " 1012 AB Amsterdam", ", 00-950 Warszawa". Left out of
# the span, it would stay readable beside a redacted street. A bare four digits must
# be followed by a capitalised word, so that ", 2024 was" is no postcode.
_POSTCODE_TAIL = re.compile(
    r",?[ \t]+(?:[A-Z][\w'’.-]*,?[ \t]+){0,3}?"
    r"(?:\d{5}(?:-\d{4})?|\d{4}(?=[ \t]+[A-Z])(?:[ \t]+[A-Z]{2}\b)?|\d{3}[ \t]\d{2}|\d{2}-\d{3}|"
    r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)\b"
    r"(?:[ \t]+[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’-]+)?)?"
)


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses, P.O. boxes and apartment numbers in common Western formats.

    Presidio ships no address recognizer and spaCy only sees the city or country
    (LOCATION), which alone is not private; a house number next to a street is. A
    postal code (and city) straight after the street is part of the span.
    """

    PATTERNS = (
        # 221B Baker Street / 1600 Pennsylvania Ave NW (on one line: "£450\nPaid via" is none)
        Pattern(
            "number street",
            # not a quantity ("a 20 minute circle time", "a 5 mile loop")
            r"\b\d{1,6}[A-Za-z]?,?[ \t]+(?!(?:second|minute|min|hour|hr|day|week|month|year|"
            r"mile|km|kilometre|kilometer|metre|meter|foot|feet|yard|inch|step|page|person|"
            r"people|man|player|piece|seat)s?\b)(?:[A-Za-z][\w.'-]*[ \t]+){0,4}"
            + _STREET_SUFFIX
            + r"\b\.?",
            0.6,
        ),
        # French, Spanish, Italian, Portuguese order: "8 allée des Érables", "12 bis rue
        # du Moulin", "3 calle de la Paz"; the street's name runs to its capitalised words.
        Pattern(
            "number romance street",
            r"\b\d{1,5}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|all[ée]e|avenue|av\.|boulevard|bd|"
            r"impasse|chemin|quai|place|cours|square|calle|avenida|paseo|plaza|camino|carrer|"
            r"via|viale|piazza|rua|travessa)[ \t]+(?:(?:de|du|des|la|le|les|del|da|do|dos|das|"
            r"di)[ \t]+|l['’]|d['’])*[A-ZÀ-Ý][\w'’-]+(?:[ \t]+[A-ZÀ-Ý][\w'’-]+){0,3}",
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

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results or []:
            tail = _POSTCODE_TAIL.match(text, result.end)
            if tail is not None:
                result.end = tail.end()
        return results or []
