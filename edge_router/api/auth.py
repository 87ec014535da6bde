"""Client authentication: API keys stored as scrypt hashes, checked in constant time.

Keys are presented as ``Authorization: Bearer <key>`` (OpenAI SDKs) or
``x-api-key: <key>`` (Anthropic SDKs). The config holds only hashes of the form
``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`` with a random salt per key,
made by ``edge-router keys hash`` (or ``keys generate``).

Cost on the request path: one scrypt (N=2^14, r=8, p=1: ~16 MiB, ~70 ms on a
laptop core) per configured key for a key not seen before. A key that verified
once is remembered in memory under an HMAC of the key with a random per-process
secret (never the key itself), so the steady state costs one HMAC and a dict
lookup; keys that failed are remembered the same way (bounded) so a client
retrying with a stale key cannot burn CPU. Fresh random guesses still cost
scrypt each: rate-limit at the edge if the port is exposed to untrusted hosts.

Example::

    auth = Authenticator(AuthSettings(require_auth=True, keys=(ApiKey(id="ci", hash=h),)))
    ident = auth.authenticate({"authorization": "Bearer er-..."})  # ClientIdentity or None
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import ipaddress
import secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge_router.errors import AuthError

_SCRYPT_LOG2_N, _SCRYPT_R, _SCRYPT_P = 14, 8, 1
_CACHE_SIZE = 4096


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class _Scrypt:
    log2_n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, s: str) -> _Scrypt:
        parts = s.split("$")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValueError(
                "must be scrypt$<log2 N>$<r>$<p>$<salt>$<hash> (edge-router keys hash)"
            )
        try:
            log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt = base64.b64decode(parts[4], validate=True)
            digest = base64.b64decode(parts[5], validate=True)
        except ValueError as exc:
            raise ValueError("malformed scrypt hash") from exc
        # Bounds keep a config typo from asking for gigabytes per request.
        if not (10 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("scrypt parameters out of range (log2 N 10-20, r 1-32, p 1-16)")
        if len(salt) < 16 or len(digest) < 32:
            raise ValueError("scrypt salt must be >= 16 bytes and hash >= 32 bytes")
        return cls(log2_n, r, p, salt, digest)

    def verify(self, key: str) -> bool:
        n = 1 << self.log2_n
        got = hashlib.scrypt(
            key.encode("utf-8"),
            salt=self.salt,
            n=n,
            r=self.r,
            p=self.p,
            maxmem=129 * n * self.r * self.p + (1 << 20),
            dklen=len(self.digest),
        )
        return hmac.compare_digest(got, self.digest)


def hash_key(plaintext: str) -> str:
    """Hash a client key or admin token for the config file (random 16-byte salt)."""
    if not plaintext:
        raise ValueError("empty key")
    salt = secrets.token_bytes(16)
    n = 1 << _SCRYPT_LOG2_N
    digest = hashlib.scrypt(
        plaintext.encode("utf-8"), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return (
        f"scrypt${_SCRYPT_LOG2_N}${_SCRYPT_R}${_SCRYPT_P}$"
        f"{b64(salt).decode()}${b64(digest).decode()}"
    )


def _check_hash(v: str) -> str:
    _Scrypt.parse(v)
    return v


class ApiKey(_Frozen):
    """One client key in ``auth.keys``."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """Name for logs, metrics-free audit records and policy matching; not secret."""
    hash: str
    """``scrypt$...`` from ``edge-router keys hash``; the key itself is never stored."""
    tenant: str | None = None
    """Tenant recorded in the audit trail and visible to policy rules."""
    policy: str | None = None
    """Policy (file or preset name) for this key's requests; null = the default policy."""

    @field_validator("hash")
    @classmethod
    def _hash(cls, v: str) -> str:
        return _check_hash(v)


class AuthSettings(_Frozen):
    """The ``auth:`` section of the config file.

    Example::

        AuthSettings(require_auth=True, keys=(ApiKey(id="ci", hash=hash_key("er-..."))),)
    """

    require_auth: bool = False
    """Refuse requests without a valid key. Must be true to listen on a non-loopback address."""
    keys: tuple[ApiKey, ...] = ()
    """Client keys. With keys configured, a presented but wrong key is refused even when
    require_auth is false (a misconfigured client should hear about it)."""
    admin_token_hash: str | None = None
    """``scrypt$...`` of the admin token for admin endpoints; null = admin endpoints refuse."""

    @field_validator("admin_token_hash")
    @classmethod
    def _admin_hash(cls, v: str | None) -> str | None:
        return None if v is None else _check_hash(v)

    @model_validator(mode="after")
    def _consistent(self) -> AuthSettings:
        ids = [k.id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("auth.keys ids must be unique")
        if self.require_auth and not self.keys:
            raise ValueError("require_auth is true but no keys are configured")
        return self


@dataclass(frozen=True)
class ClientIdentity:
    """Who a verified request comes from."""

    key_id: str
    tenant: str | None
    policy: str | None


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer`` or ``x-api-key`` (header names any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    auth = lower.get("authorization", "")
    scheme, _, token = auth.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = lower.get("x-api-key", "").strip()
    return key or None


class Authenticator:
    """Verifies presented keys against :class:`AuthSettings`; thread-safe."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._keys = [(k, _Scrypt.parse(k.hash)) for k in settings.keys]
        self._admin = (
            _Scrypt.parse(settings.admin_token_hash) if settings.admin_token_hash else None
        )
        # Cache keyed by HMAC(process secret, key): the dict never holds a key, and lookup
        # timing depends on a digest an attacker cannot compute.
        self._secret = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, ClientIdentity | None] = OrderedDict()
        self._admin_ok: set[bytes] = set()
        self._lock = threading.Lock()

    def _tag(self, kind: bytes, key: str) -> bytes:
        return hmac.new(self._secret, kind + b"\0" + key.encode("utf-8"), "sha256").digest()

    def verify_key(self, key: str) -> ClientIdentity | None:
        tag = self._tag(b"client", key)
        with self._lock:
            if tag in self._cache:
                self._cache.move_to_end(tag)
                return self._cache[tag]
        found = None
        for k, h in self._keys:
            if h.verify(key):
                found = ClientIdentity(k.id, k.tenant, k.policy)
                break
        with self._lock:
            self._cache[tag] = found
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def authenticate(self, headers: Mapping[str, str]) -> ClientIdentity | None:
        """The verified identity, or None (no key, or a wrong one). Slow (scrypt) only
        the first time a key is seen: on the event loop, call it via a thread on a miss
        or use :meth:`authenticate_async`."""
        key = presented_key(headers)
        return self.verify_key(key) if key else None

    async def authenticate_async(self, headers: Mapping[str, str]) -> ClientIdentity | None:
        import asyncio

        key = presented_key(headers)
        if key is None:
            return None
        tag = self._tag(b"client", key)
        with self._lock:
            if tag in self._cache:
                return self._cache[tag]
        return await asyncio.to_thread(self.verify_key, key)

    def require(self, headers: Mapping[str, str]) -> ClientIdentity | None:
        """Apply the policy: the identity, None for an allowed anonymous request, or
        :class:`AuthError` (401). Messages never include the presented key."""
        key = presented_key(headers)
        if key is None:
            if self.settings.require_auth:
                raise AuthError("missing API key: send Authorization: Bearer <key> or x-api-key")
            return None
        if not self._keys:
            return None  # auth not configured: SDK placeholder keys are fine
        ident = self.verify_key(key)
        if ident is None:
            raise AuthError("invalid API key")
        return ident

    def is_admin(self, headers: Mapping[str, str]) -> bool:
        """True if the request carries the admin token (same headers as client keys)."""
        key = presented_key(headers)
        if self._admin is None or key is None:
            return False
        tag = self._tag(b"admin", key)
        with self._lock:
            if tag in self._admin_ok:
                return True
        if not self._admin.verify(key):
            return False
        with self._lock:
            self._admin_ok.add(tag)  # one token: the set stays at one entry
        return True


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``; names other than localhost are not resolved
    (resolution can change after the check) and so count as non-loopback."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_allowed(host: str, auth: AuthSettings) -> str | None:
    """None if the daemon may listen on ``host``, else the error to print before exiting."""
    if is_loopback(host) or (auth.require_auth and auth.keys):
        return None
    return (
        f"refusing to listen on {host or 'all addresses'}: not a loopback address and "
        "client auth is off. Set auth.require_auth: true with at least one key "
        "(edge-router keys generate), or bind 127.0.0.1."
    )


def keys_cli(
    argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """``edge-router keys hash`` (key from the terminal or stdin, never argv: argv shows in
    ps and shell history) and ``edge-router keys generate --id NAME``."""
    p = argparse.ArgumentParser(prog="edge-router keys", description="Manage client keys.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("hash", help="hash a key read from stdin or a prompt, for auth.keys")
    gen = sub.add_parser("generate", help="make a random key and print it with its hash")
    gen.add_argument("--id", default="client", help="key id for the YAML snippet")
    gen.add_argument("--tenant", help="tenant for the YAML snippet")
    args = p.parse_args(argv)
    out = out or sys.stdout
    stdin = stdin or sys.stdin
    if args.cmd == "hash":
        key = getpass.getpass("key: ") if stdin.isatty() else stdin.readline().strip()
        if not key:
            print("edge-router keys: empty key", file=sys.stderr)
            return 2
        out.write(hash_key(key) + "\n")
        return 0
    key = "er-" + secrets.token_urlsafe(32)
    out.write(f"# give this key to the client; it is not stored anywhere:\n# {key}\n")
    out.write(f"auth:\n  keys:\n    - id: {args.id}\n      hash: '{hash_key(key)}'\n")
    if args.tenant:
        out.write(f"      tenant: {args.tenant}\n")
    return 0
