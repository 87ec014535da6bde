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
retrying with a stale key cannot burn CPU. Fresh random guesses cost scrypt each,
so failures are counted per client address (``api/throttle.py``): past
``auth.max_failures_per_minute`` the address gets 429 for ``auth.failure_block_s``
and no credential it presents is hashed, except keys that already verified (a
legitimate client sharing a NAT or proxy address keeps working). The address
comes from :data:`client_address`, set per request by the HTTP layer.

Example::

    auth = Authenticator(AuthSettings(require_auth=True, keys=(ApiKey(id="ci", hash=h),)))
    ident = auth.authenticate({"authorization": "Bearer er-..."})  # ClientIdentity or None
"""

from __future__ import annotations

import argparse
import asyncio
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

from pydantic import Field, field_validator, model_validator

from edge_router.api.throttle import FailureThrottle, TooManyAuthFailures, client_address
from edge_router.errors import AuthError
from edge_router.frozen import Frozen
from edge_router.record.costs import Budget

_SCRYPT_LOG2_N, _SCRYPT_R, _SCRYPT_P = 14, 8, 1
_CACHE_SIZE = 4096
# Hashes checked at once per authenticator (async paths). Keeps a burst of wrong keys
# from occupying every core and worker thread before the failure count can stop it,
# and makes concurrent first uses of one key hash it once (the rest find it cached).
_HASH_SLOTS = 2


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


class ApiKey(Frozen):
    """One client key in ``auth.keys``."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """Name for logs, metrics-free audit records and policy matching; not secret."""
    hash: str
    """``scrypt$...`` from ``edge-router keys hash``; the key itself is never stored."""
    tenant: str | None = None
    """Tenant recorded in the audit trail and visible to policy rules."""
    policy: str | None = None
    """Policy (file or preset name) for this key's requests; null = the default policy."""
    budget: Budget = Budget()
    """Spending limit for this key (see "Costs and budgets"); none by default."""

    @field_validator("hash")
    @classmethod
    def _hash(cls, v: str) -> str:
        return _check_hash(v)


class Tenant(Frozen):
    """One entry of ``auth.tenants``."""

    budget: Budget = Budget()
    """Spending limit shared by every key of the tenant."""


class AuthSettings(Frozen):
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
    """``scrypt$...`` of the admin token for admin endpoints; null = admin endpoints refuse.
    With require_auth, the admin token also opens /v1/models, /readyz and /metrics."""
    metrics_token_hash: str | None = None
    """``scrypt$...`` of a token that may only scrape /metrics (with require_auth, where
    /metrics needs credentials; any client key or the admin token works too)."""
    max_failures_per_minute: int = Field(default=10, ge=0)
    """Failed authentications (wrong key or token) one client address may make in a
    minute; past it that address gets 429 with Retry-After for failure_block_s, and no
    key it sends is checked except keys that already verified. IPv6 counts per /64.
    Behind a reverse proxy all clients share its address. 0 = no limit."""
    failure_block_s: float = Field(default=60.0, gt=0)
    """How long an address that hit max_failures_per_minute is answered 429."""
    tenants: dict[str, Tenant] = Field(default_factory=dict)
    """Settings per tenant (the `tenant` of keys): `{acme: {budget: {monthly_usd: 200}}}`,
    a budget all the tenant's keys share (the `budget` fields of `keys[]`)."""

    @field_validator("admin_token_hash", "metrics_token_hash")
    @classmethod
    def _token_hash(cls, v: str | None) -> str | None:
        return None if v is None else _check_hash(v)

    @model_validator(mode="after")
    def _consistent(self) -> AuthSettings:
        ids = [k.id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("auth.keys ids must be unique")
        if self.require_auth and not self.keys:
            raise ValueError("require_auth is true but no keys are configured")
        unknown = sorted(set(self.tenants) - {k.tenant for k in self.keys if k.tenant})
        if unknown:
            raise ValueError(f"auth.tenants names tenants no key belongs to: {unknown}")
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
    """Verifies presented keys against :class:`AuthSettings`; thread-safe.

    Every failed check of a presented key or token counts against the calling address
    (:data:`client_address`); a blocked address gets :class:`TooManyAuthFailures` before
    anything is hashed."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._keys = [(k, _Scrypt.parse(k.hash)) for k in settings.keys]
        self._admin = (
            _Scrypt.parse(settings.admin_token_hash) if settings.admin_token_hash else None
        )
        self._metrics = (
            _Scrypt.parse(settings.metrics_token_hash) if settings.metrics_token_hash else None
        )
        # Cache keyed by HMAC(process secret, key): the dict never holds a key, and lookup
        # timing depends on a digest an attacker cannot compute.
        self._secret = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, ClientIdentity | None] = OrderedDict()
        self._tokens_ok: set[bytes] = set()  # admin and metrics tokens that verified
        self._lock = threading.Lock()
        self._hash_slots = asyncio.Semaphore(_HASH_SLOTS)
        self.throttle = FailureThrottle(settings.max_failures_per_minute, settings.failure_block_s)

    def _tag(self, kind: bytes, key: str) -> bytes:
        return hmac.new(self._secret, kind + b"\0" + key.encode("utf-8"), "sha256").digest()

    def _gate(self) -> None:
        """Refuse (429) before any hashing when the calling address is blocked."""
        addr = client_address.get()
        if addr is not None and (wait := self.throttle.retry_after(addr)) is not None:
            raise TooManyAuthFailures(wait)

    def _failed(self) -> None:
        addr = client_address.get()
        if addr is not None:
            self.throttle.failed(addr)

    def _cached_client(self, key: str) -> tuple[bool, ClientIdentity | None]:
        """(seen before, identity) from the cache: no hashing."""
        tag = self._tag(b"client", key)
        with self._lock:
            if tag in self._cache:
                self._cache.move_to_end(tag)
                return True, self._cache[tag]
        return False, None

    def _hash_client(self, key: str) -> ClientIdentity | None:
        """scrypt against every configured key (slow); the result is cached."""
        found = None
        for k, h in self._keys:
            if h.verify(key):
                found = ClientIdentity(k.id, k.tenant, k.policy)
                break
        with self._lock:
            self._cache[self._tag(b"client", key)] = found
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return found

    def _known_token(self, kind: bytes, key: str) -> bool:
        with self._lock:
            return self._tag(kind, key) in self._tokens_ok

    def _hash_token(self, kind: bytes, hashed: _Scrypt | None, key: str) -> bool:
        if hashed is None or not hashed.verify(key):
            return False
        with self._lock:
            self._tokens_ok.add(self._tag(kind, key))  # one token per kind: stays tiny
        return True

    def verify_key(self, key: str) -> ClientIdentity | None:
        """The identity for a client key, or None. Slow (scrypt) for a key not seen
        before; raises :class:`TooManyAuthFailures` while the calling address is blocked
        (keys that already verified still pass)."""
        seen, ident = self._cached_client(key)
        if ident is not None:
            return ident
        self._gate()
        if not seen:
            ident = self._hash_client(key)
        if ident is None:
            self._failed()
        return ident

    def authenticate(self, headers: Mapping[str, str]) -> ClientIdentity | None:
        """The verified identity, or None (no key, or a wrong one). Slow (scrypt) only
        the first time a key is seen: on the event loop, call it via a thread on a miss
        or use :meth:`authenticate_async`."""
        key = presented_key(headers)
        return self.verify_key(key) if key else None

    async def authenticate_async(self, headers: Mapping[str, str]) -> ClientIdentity | None:
        key = presented_key(headers)
        if key is None:
            return None
        seen, ident = self._cached_client(key)
        if ident is not None:
            return ident
        self._gate()
        if seen:
            self._failed()
            return None
        async with self._hash_slots:
            # verify_key looks at the cache and the gate again: a request queued behind
            # one with the same key finds it cached, and requests queued behind a burst
            # of wrong keys are refused without hashing once the address is blocked.
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
        if self._known_token(b"admin", key):
            return True
        self._gate()
        if self._hash_token(b"admin", self._admin, key):
            return True
        self._failed()
        return False

    def _operator_known(self, key: str, metrics: bool) -> bool:
        return (
            self._cached_client(key)[1] is not None
            or self._known_token(b"admin", key)
            or (metrics and self._known_token(b"metrics", key))
        )

    def may_operate(self, key: str, *, metrics: bool = False) -> bool:
        """Whether ``key`` opens the operator endpoints (/v1/models, /readyz): any client
        key or the admin token, and with ``metrics`` also the metrics token. Slow on a
        miss; one failure is counted when nothing matches."""
        if self._operator_known(key, metrics):
            return True
        self._gate()
        if not self._cached_client(key)[0] and self._hash_client(key) is not None:
            return True
        if self._hash_token(b"admin", self._admin, key):
            return True
        if metrics and self._hash_token(b"metrics", self._metrics, key):
            return True
        self._failed()
        return False

    async def may_operate_async(self, key: str, *, metrics: bool = False) -> bool:
        if self._operator_known(key, metrics):
            return True
        self._gate()
        async with self._hash_slots:
            return await asyncio.to_thread(self.may_operate, key, metrics=metrics)


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
