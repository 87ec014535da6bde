"""Reversible pseudonymization of a request body, and restoration of the reply.

Each request gets its own :class:`Vault`; nothing is shared between requests or
persisted. A detected value becomes a placeholder such as
``<PERSON_1_k7q2x9ab>``: the type, a per-type counter, and the vault's random
nonce. The same value gets the same placeholder everywhere in the request;
placeholders use only ``<``, ``>``, ``A-Z``, ``a-z``, ``0-9`` and ``_``, so they
need no JSON escaping and an LLM can copy them verbatim. Only placeholders this
vault issued are ever restored; one with another nonce or an unissued counter
passes through unchanged.

JSON-encoded fields (OpenAI ``function.arguments`` strings and Anthropic
``tool_use`` ``input`` objects, which the scanner sees rendered as JSON) are
redacted token-aware: a span inside a JSON string is widened to whole escape
sequences and the vault stores the *decoded* value; a span touching a number,
``true``/``false``/``null`` replaces that whole token with a quoted placeholder
(so it comes back as a string). The result is always valid JSON.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from edge_router.errors import EdgeRouterError
from edge_router.privacy.types import Entity, ScanResult, TextField

_NONCE_LEN = 8
_NONCE_ALPHABET = string.ascii_lowercase + string.digits
_MAX_TYPE_LEN = 40
_MAX_HEAD = _MAX_TYPE_LEN + 11  # "TYPE_" + counter digits
_TYPE_CHARS = re.compile(r"[A-Z0-9_]*")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null')
_PATH_PART = re.compile(r"(?:^|\.)([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
_JSON_STRING_FIELDS = ("arguments",)


class RedactionError(EdgeRouterError):
    """Redaction could not be done faithfully; the caller must not send the request out."""


class Vault:
    """Per-request map between placeholders and original values.

    Example::

        vault = Vault()
        safe = redact_body(body, scan, vault)      # send ``safe`` to the cloud
        text = vault.restore(reply_text)           # originals back for the client
    """

    def __init__(self) -> None:
        self._nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(_NONCE_LEN))
        self._by_value: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._pattern = re.compile(rf"<[A-Z0-9_]{{1,{_MAX_HEAD}}}_{self._nonce}>")

    def __len__(self) -> int:
        return len(self._by_placeholder)

    def placeholder(self, value: str, entity_type: str) -> str:
        """The placeholder for ``value``; the first type seen for a value names it."""
        if (known := self._by_value.get(value)) is not None:
            return known
        kind = re.sub(r"[^A-Z0-9_]", "_", entity_type.upper())[:_MAX_TYPE_LEN] or "PII"
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        ph = f"<{kind}_{n}_{self._nonce}>"
        self._by_value[value] = ph
        self._by_placeholder[ph] = value
        return ph

    def restore(self, text: str) -> str:
        """Replace every placeholder this vault issued by its original value."""
        if not self._by_placeholder:
            return text
        return self._pattern.sub(lambda m: self._by_placeholder.get(m[0], m[0]), text)

    def restore_json_fragment(self, text: str) -> str:
        """Like :meth:`restore`, for text inside a JSON string literal: values are escaped."""
        if not self._by_placeholder:
            return text

        def sub(m: re.Match[str]) -> str:
            value = self._by_placeholder.get(m[0])
            return m[0] if value is None else json.dumps(value, ensure_ascii=False)[1:-1]

        return self._pattern.sub(sub, text)

    def restore_value(
        self, value: Any, *, json_string_keys: Collection[str] = ("arguments",)
    ) -> Any:
        """A copy of a JSON-like value with every string restored; strings under a key in
        ``json_string_keys`` hold JSON text and are restored with escaping."""
        if isinstance(value, str):
            return self.restore(value)
        if isinstance(value, list):
            return [self.restore_value(v, json_string_keys=json_string_keys) for v in value]
        if isinstance(value, dict):
            return {
                k: (
                    self.restore_json_fragment(v)
                    if isinstance(v, str) and k in json_string_keys
                    else self.restore_value(v, json_string_keys=json_string_keys)
                )
                for k, v in value.items()
            }
        return value

    def _hold_from(self, buf: str) -> int:
        """Start of a suffix of ``buf`` that could still become a placeholder, else len(buf).

        A placeholder has exactly one ``<``, so only the last one can start a pending one.
        """
        i = buf.rfind("<")
        if not self._by_placeholder or i < 0 or len(buf) - i > _MAX_HEAD + _NONCE_LEN + 2:
            return len(buf)
        rest = buf[i + 1 :]
        for k in range(min(_NONCE_LEN, len(rest)) + 1):
            head, tail = rest[: len(rest) - k], rest[len(rest) - k :]
            if not self._nonce.startswith(tail) or not _TYPE_CHARS.fullmatch(head):
                continue
            if k == 0 or (len(head) >= 2 and head.endswith("_")):
                return i
        return len(buf)


class StreamRestorer:
    """Restores placeholders in a stream of text chunks, whatever the chunking.

    Only a suffix that could still be the start of a placeholder is held back
    (at most ~60 characters), so output is never delayed by more than that.

    Example::

        r = StreamRestorer(vault)
        for delta in deltas:
            send(r.feed(delta))
        send(r.flush())

    With ``json_fragment=True`` the chunks are pieces of a JSON string literal
    (streamed tool-call arguments) and restored values are JSON-escaped.
    """

    def __init__(self, vault: Vault, *, json_fragment: bool = False) -> None:
        self._vault = vault
        self._restore = vault.restore_json_fragment if json_fragment else vault.restore
        self._buf = ""

    def feed(self, chunk: str) -> str:
        buf = self._buf + chunk
        cut = self._vault._hold_from(buf)
        self._buf = buf[cut:]
        return self._restore(buf[:cut])

    def flush(self) -> str:
        buf, self._buf = self._buf, ""
        return self._restore(buf)


# ---- spans -------------------------------------------------------------------


def _merge(entities: Iterable[Entity], length: int, path: str) -> list[tuple[int, int, str]]:
    """Overlapping spans merged; the merged span is named after its longest member."""
    spans = sorted(entities, key=lambda e: (e.start, e.end))
    out: list[tuple[int, int, str]] = []
    best: list[tuple[int, float]] = []  # (length, score) of the member that names each span
    for e in spans:
        if not 0 <= e.start <= e.end <= length:
            raise RedactionError(f"entity span out of range in field {path}")
        if e.start == e.end:
            continue
        rank = (e.end - e.start, e.score)
        if out and e.start < out[-1][1]:
            s, end, t = out[-1]
            if rank > best[-1]:
                t, best[-1] = e.type, rank
            out[-1] = (s, max(end, e.end), t)
        else:
            out.append((e.start, e.end, e.type))
            best.append(rank)
    return out


def _redact_text(text: str, spans: Sequence[tuple[int, int, str]], vault: Vault) -> str:
    parts: list[str] = []
    pos = 0
    for s, e, t in spans:
        parts += [text[pos:s], vault.placeholder(text[s:e], t)]
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def _escape_units(text: str, a: int, b: int) -> list[int]:
    """Boundaries of the characters/escape sequences of the raw JSON string text[a:b]."""
    out, i = [a], a
    while i < b:
        if text[i] != "\\":
            i += 1
        elif text[i + 1] != "u":
            i += 2
        else:
            code = int(text[i + 2 : i + 6], 16)
            pair = 0xD800 <= code < 0xDC00 and re.match(r"\\u[dD][c-fC-F]", text[i + 6 : i + 10])
            i += 12 if pair else 6  # a surrogate pair is one character
        out.append(i)
    return out


def _redact_json(text: str, spans: Sequence[tuple[int, int, str]], vault: Vault) -> str:
    """Redact spans of a JSON document's text, keeping it valid JSON."""
    edits: list[tuple[int, int, str, bool]] = []  # start, end, type, is_string_content
    tokens = [(m.start(), m.end()) for m in _JSON_TOKEN.finditer(text)]
    for s, e, t in spans:
        for a, b in tokens:
            if b <= s or a >= e:
                continue
            if text[a] != '"':
                edits.append((a, b, t, False))
                continue
            lo, hi = max(s, a + 1), min(e, b - 1)
            if lo >= hi:
                continue  # the span only touched a quote
            units = _escape_units(text, a + 1, b - 1)
            lo = max(u for u in units if u <= lo)
            hi = min(u for u in units if u >= hi)
            edits.append((lo, hi, t, True))
    edits.sort()
    merged: list[tuple[int, int, str, bool]] = []
    for ed in edits:
        if merged and ed[0] < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], ed[1]), last[2], last[3])
        else:
            merged.append(ed)
    parts: list[str] = []
    pos = 0
    for s, e, t, is_str in merged:
        raw = text[s:e]
        if is_str:
            parts += [text[pos:s], vault.placeholder(json.loads(f'"{raw}"'), t)]
        else:
            parts += [text[pos:s], '"', vault.placeholder(raw, t), '"']
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


# ---- body --------------------------------------------------------------------


def _parse_path(path: str) -> list[str | int]:
    keys: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _PATH_PART.match(path, pos)
        if m is None or (m[0].startswith(".") and pos == 0):
            raise RedactionError(f"unsupported field path {path}")
        keys.append(m[1] if m[1] is not None else int(m[2]))
        pos = m.end()
    if not keys:
        raise RedactionError("empty field path")
    return keys


def _locate(body: Any, path: str) -> tuple[Any, str | int]:
    keys = _parse_path(path)
    node = body
    for k in keys[:-1]:
        node = _step(node, k, path)
    _step(node, keys[-1], path)
    return node, keys[-1]


def _step(node: Any, key: str | int, path: str) -> Any:
    if isinstance(key, str) and isinstance(node, dict) and key in node:
        return node[key]
    if isinstance(key, int) and isinstance(node, list) and key < len(node):
        return node[key]
    raise RedactionError(f"field {path} is not in the request body")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def redact_body(
    body: dict[str, Any],
    scan: ScanResult,
    vault: Vault,
    *,
    types: Collection[str] | None = None,
    extra: Sequence[Entity] = (),
    texts: Sequence[TextField] | None = None,
) -> dict[str, Any]:
    """A deep copy of ``body`` with every entity span (of ``types``, default all) replaced.

    ``extra`` adds spans found outside the scanner (policy deny-list matches).
    ``texts`` are the scanner's fields; when given, they are the authoritative
    rendering of non-string fields (tool_use ``input``) and every field must still
    read as the scanner saw it. Raises :class:`RedactionError` (fail closed) when a
    span does not fit the body.
    """
    if any(r.startswith("scan_failed") for r in scan.reasons):
        raise RedactionError("cannot redact a request whose scan failed")
    seen = {t.path: t.text for t in texts} if texts is not None else {}
    by_field: dict[str, list[Entity]] = {}
    for ent in (*scan.entities, *extra):
        if types is None or ent.type in types:
            by_field.setdefault(ent.field, []).append(ent)
    out = copy.deepcopy(body)
    for path, ents in by_field.items():
        parent, key = _locate(out, path)
        value = parent[key]
        if isinstance(value, str):
            if path in seen and seen[path] != value:
                raise RedactionError(f"field {path} differs from what was scanned")
            spans = _merge(ents, len(value), path)
            json_text = path.rsplit(".", 1)[-1] in _JSON_STRING_FIELDS and _is_json(value)
            parent[key] = (_redact_json if json_text else _redact_text)(value, spans, vault)
        elif isinstance(value, dict | list | int | float) or value is None:
            # Structured fields (tool_use ``input``) are scanned as JSON text: redact that
            # text token-aware and parse it back.
            rendered = seen.get(path) or json.dumps(value, ensure_ascii=False)
            if not _is_json(rendered) or json.loads(rendered) != value:
                raise RedactionError(f"field {path} differs from what was scanned")
            parent[key] = json.loads(
                _redact_json(rendered, _merge(ents, len(rendered), path), vault)
            )
        else:
            raise RedactionError(f"field {path} is not JSON")
    return out
