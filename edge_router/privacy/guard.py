"""The response guard: personal data and secrets a reply brings that the request did not.

A provider can put data into a reply on its own: another customer's record from a RAG
index, a memorised phone number, a key. :class:`ReplyGuard` finds such values with fast
recognizers (regexes with checksums, no NER: see :func:`find_values`) and redacts them
or blocks the reply. Values that came from the request (placeholders the router
restored, text the client sent) are not new and pass intact: a finding whose
normalised form occurs in a normalised request text is exempt.

Streams are guarded per text channel (:class:`GuardChannel`) with the smallest
hold-back that still sees a value split across chunks: only the trailing run of
characters that could still be part of a value is held (a word, or digit groups joined
by single spaces such as ``4111 1111``), at most :data:`MAX_HOLD` characters. Everything
before it ends at a character no value contains, so it can be scanned and released.

Example::

    guard = ReplyGuard("redact", RequestValues(f.text for f in fields))
    ch = guard.channel()
    out = ch.feed("Call 555-") + ch.feed("123-4567 now") + ch.flush()
    # "Call [REDACTED_PHONE_NUMBER] now"; guard.found == {"PHONE_NUMBER": 1}
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from edge_router.errors import PolicyBlocked
from edge_router.privacy.numbers import iban_valid, luhn_valid
from edge_router.privacy.recognizers import SecretsRecognizer

ResponseAction = Literal["pass", "redact", "block"]

MAX_HOLD = 256
"""Most characters a channel holds back. Longer unbroken runs (a base64 blob) are
released at this length: a value straddling that cut would be missed, which is why
the bound is well above any recognised value (a JWT is the longest common one)."""

CONTEXT = 64
"""Released text kept (not re-sent) for recognizers that need the words before a value
("password is ...", "Bearer ...")."""

# Characters a recognised value may contain; anything else ends a held run.
_VALUE_PUNCT = frozenset("@._%+-:/=()#~")

_EMAIL = re.compile(
    r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]{0,63}(?:@|%40)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}"
    r"(?![\w-])",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_CARD = re.compile(r"(?<![\w.-])\d{4}(?:[ -]?\d{2,6}){2,4}(?![\w-])")
_IIN = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5|4[4-9]|2)|35)")
# North American (555-123-4567, (555) 123-4567, +1 555.123.4567) and E.164-style
# international numbers (+44 20 7946 0958); 8-15 digits.
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])"
    r"|(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w-])"
)
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?!\w)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")


@dataclass(frozen=True)
class Finding:
    """``text[start:end]`` is a value of ``type``."""

    type: str
    start: int
    end: int


def _ssn_ok(m: re.Match[str]) -> bool:
    # Fail closed on the 9xx area too (ITINs, test ranges): either way a personal number.
    return m[1] != "000" and m[1] != "666" and m[3] != "00" and m[4] != "0000"


def _card_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return (
        13 <= len(digits) <= 19
        and len(set(re.findall(r"\D", value))) <= 1
        and bool(_IIN.match(digits))
        and luhn_valid(digits)
    )


def _phone_ok(value: str) -> bool:
    return 8 <= sum(c.isdigit() for c in value) <= 15


def _ip_ok(value: str) -> bool:
    # Only public addresses: 127.0.0.1 or 10.0.0.1 in a networking answer is no one's.
    try:
        return ipaddress.ip_address(value).is_global
    except ValueError:
        return False


_SECRETS = SecretsRecognizer()
# Every secrets pattern needs a long token, a keyword or a URL with credentials; text
# with none of them skips the (slower) plugin regexes.
_SECRET_HINT = re.compile(
    r"[A-Za-z0-9_+/=.-]{16,}|PRIVATE KEY|pass|pwd|\bpin\b|secret|token|bearer|key|contrase|://",
    re.IGNORECASE,
)


def find_values(text: str) -> list[Finding]:
    """Values in ``text`` (overlaps merged, the longest names the span).

    Recognizers: e-mail (also percent-encoded), US SSN, payment card (network prefix
    and Luhn), phone (North American and ``+`` international), IBAN (mod-97), public
    IPv4, and the secrets and credentials of the request scanner (detect-secrets'
    plugins and the prose patterns). Names and addresses need NER, which does not fit
    a per-chunk budget: they are not looked for in replies.
    """
    raw: list[Finding] = [
        Finding("EMAIL_ADDRESS", m.start(), m.end()) for m in _EMAIL.finditer(text)
    ]
    raw += [Finding("US_SSN", m.start(), m.end()) for m in _SSN.finditer(text) if _ssn_ok(m)]
    raw += [
        Finding("CREDIT_CARD", m.start(), m.end()) for m in _CARD.finditer(text) if _card_ok(m[0])
    ]
    raw += [
        Finding("PHONE_NUMBER", m.start(), m.end())
        for m in _PHONE.finditer(text)
        if _phone_ok(m[0])
    ]
    raw += [
        Finding("IBAN_CODE", m.start(), m.end()) for m in _IBAN.finditer(text) if iban_valid(m[0])
    ]
    raw += [Finding("IP_ADDRESS", m.start(), m.end()) for m in _IPV4.finditer(text) if _ip_ok(m[0])]
    if _SECRET_HINT.search(text):
        raw += [Finding(r.entity_type, r.start, r.end) for r in _SECRETS.analyze(text, [], None)]
    return _merge(raw)


def _merge(found: Iterable[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end - f.start > last.end - last.start:
                out[-1] = Finding(f.type, last.start, max(last.end, f.end))
            else:
                out[-1] = Finding(last.type, last.start, max(last.end, f.end))
        else:
            out.append(f)
    return out


def normalise(text: str) -> str:
    """The comparison form: percent-decoded, NFKC, case-folded, letters and digits only,
    so ``555-123-4567`` in a reply matches ``(555) 123 4567`` in the request."""
    folded = unicodedata.normalize("NFKC", unquote(text)).casefold()
    return "".join(c for c in folded if c.isalnum())


class RequestValues:
    """What the request held, normalised: a reply value found here is not new.

    Example::

        known = RequestValues(["mail bob@example.com"])
        known.contains("BOB@example.com")   # True
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self._texts = tuple(n for n in (normalise(t) for t in texts) if n)

    def contains(self, value: str) -> bool:
        n = normalise(value)
        return bool(n) and any(n in t for t in self._texts)


class ReplyBlocked(PolicyBlocked):
    """A reply carried personal data the request did not, under ``response: block``."""

    code = "reply_blocked_by_policy"


class ReplyGuard:
    """One reply's guard: the action, the request's values, and what was found.

    ``found`` counts new values by type (never the values); ``policy`` and ``rule``
    only name the decision in a block's message.
    """

    def __init__(
        self,
        action: ResponseAction,
        known: RequestValues,
        *,
        policy: str = "",
        rule: str = "",
    ) -> None:
        self.action = action
        self.known = known
        self.policy = policy
        self.rule = rule
        self.found: Counter[str] = Counter()

    def channel(self, *, json_fragment: bool = False) -> GuardChannel:
        return GuardChannel(self, json_fragment=json_fragment)

    def check(self, text: str, *, json_text: bool = False) -> str:
        """A whole text (not a stream): redacted, or raises :class:`ReplyBlocked`."""
        ch = self.channel(json_fragment=json_text)
        return ch.feed(text) + ch.flush()

    def new_values(self, text: str) -> Iterator[Finding]:
        for f in find_values(text):
            if not self.known.contains(text[f.start : f.end]):
                yield f

    def blocked(self) -> ReplyBlocked:
        types = ", ".join(sorted(self.found))
        return ReplyBlocked(
            f"The reply was blocked by policy '{self.policy}' (rule '{self.rule}'): it "
            f"contained personal data that was not in the request. Entity types: {types}.",
            headers={"x-edge-router-rule": self.rule, "x-edge-router-policy": self.policy},
        )


def _hold_from(buf: str) -> int:
    """Start of the trailing run of ``buf`` that could still grow into (or be) a value."""
    i, lo = len(buf), max(0, len(buf) - MAX_HOLD)
    while i > lo:
        c = buf[i - 1]
        if c.isalnum() or c in _VALUE_PUNCT:
            i -= 1
        elif (
            c == " "
            and i >= 2
            and (buf[i - 2].isdigit() or buf[i - 2] == ")")
            and (i == len(buf) or buf[i].isdigit() or buf[i] == "(")
        ):
            i -= 1  # digit groups: a card or phone number written with spaces
        else:
            break
    return i


class GuardChannel:
    """One stream of text (a delta key, one tool call's arguments) under a guard.

    ``feed`` returns what may be sent now; ``flush`` the rest at the end. With
    ``json_fragment=True`` the text is JSON (tool-call arguments): a value outside a
    string literal (a phone number written as a JSON number) is replaced by a quoted
    marker so the arguments stay valid JSON.
    """

    def __init__(self, guard: ReplyGuard, *, json_fragment: bool = False) -> None:
        self._guard = guard
        self._json = json_fragment
        self._buf = ""
        self._context = ""
        self._in_string = False
        self._escaped = False

    def feed(self, chunk: str) -> str:
        self._buf += chunk
        return self._release(_hold_from(self._buf))

    def flush(self) -> str:
        return self._release(len(self._buf))

    def _release(self, cut: int) -> str:
        if cut == 0:
            return ""
        ctx = self._context
        text = ctx + self._buf
        base = len(ctx)
        edits: list[Finding] = []
        for f in self._guard.new_values(text):
            if f.end <= base:
                continue  # already released (it was only context)
            if f.start < base + cut < f.end:
                cut = max(0, f.start - base)  # a value running into the held part: hold it
                continue
            if f.end <= base + cut:
                edits.append(f)
        if cut == 0:
            return ""
        out = self._apply(text, base, base + cut, edits)
        released, self._buf = self._buf[:cut], self._buf[cut:]
        self._context = (ctx + released)[-CONTEXT:]
        return out

    def _apply(self, text: str, lo: int, hi: int, edits: list[Finding]) -> str:
        parts: list[str] = []
        pos = lo
        for f in edits:
            self._guard.found[f.type] += 1
            if self._guard.action == "block":
                raise self._guard.blocked()
            start = max(f.start, lo)
            parts.append(self._scan_json(text[pos:start]))
            marker = f"[REDACTED_{f.type}]"
            parts.append(marker if self._in_string or not self._json else f'"{marker}"')
            self._scan_json(text[start : f.end], track_only=True)
            pos = f.end
        parts.append(self._scan_json(text[pos:hi]))
        return "".join(parts)

    def _scan_json(self, piece: str, *, track_only: bool = False) -> str:
        """Track whether the JSON text is inside a string literal; returns ``piece``."""
        if self._json:
            for c in piece:
                if self._escaped:
                    self._escaped = False
                elif c == "\\" and self._in_string:
                    self._escaped = True
                elif c == '"':
                    self._in_string = not self._in_string
        return "" if track_only else piece
