"""Client auth: hashes, header forms, constant-time comparison, policy, bind rule, CLI."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from edge_router.api.auth import (
    ApiKey,
    Authenticator,
    AuthSettings,
    ClientIdentity,
    check_bind_allowed,
    hash_key,
    keys_cli,
)
from edge_router.api.throttle import TooManyAuthFailures, client_address
from edge_router.errors import AuthError

KEY_A = "er-alpha-0123456789abcdef0123456789"
KEY_B = "er-bravo-0123456789abcdef0123456789"
ADMIN = "admin-token-0123456789abcdef"


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    # scrypt is deliberately slow (~70 ms): hash once per module.
    return {k: hash_key(k) for k in (KEY_A, KEY_B, ADMIN)}


@pytest.fixture(scope="module")
def settings(hashes: dict[str, str]) -> AuthSettings:
    return AuthSettings(
        require_auth=True,
        keys=(
            ApiKey(id="alpha", hash=hashes[KEY_A], tenant="acme", policy="strict"),
            ApiKey(id="bravo", hash=hashes[KEY_B]),
        ),
        admin_token_hash=hashes[ADMIN],
    )


@pytest.fixture()
def auth(settings: AuthSettings) -> Authenticator:
    return Authenticator(settings)


def test_hash_format_and_salt(hashes: dict[str, str]) -> None:
    h = hashes[KEY_A]
    assert h.startswith("scrypt$14$8$1$")
    assert KEY_A not in h
    assert hash_key(KEY_A) != h  # a fresh salt every time
    with pytest.raises(ValueError):
        hash_key("")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY_A}"},
        {"authorization": f"bearer  {KEY_A} "},
        {"x-api-key": KEY_A},
        {"X-Api-Key": KEY_A, "anthropic-version": "2023-06-01"},
    ],
)
def test_accepts_bearer_and_x_api_key(auth: Authenticator, headers: dict[str, str]) -> None:
    assert auth.authenticate(headers) == ClientIdentity("alpha", "acme", "strict")


def test_second_key_and_identity_fields(auth: Authenticator) -> None:
    assert auth.authenticate({"x-api-key": KEY_B}) == ClientIdentity("bravo", None, None)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic " + KEY_A},
        {"Authorization": f"Bearer {KEY_A}x"},
        {"x-api-key": KEY_A[:-1]},
        {"x-api-key": ADMIN},  # the admin token is not a client key
    ],
)
def test_rejects_missing_and_wrong(auth: Authenticator, headers: dict[str, str]) -> None:
    assert auth.authenticate(headers) is None


def test_comparison_is_constant_time(auth: Authenticator, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert auth.authenticate({"x-api-key": "er-wrong"}) is None
    assert len(calls) == 2  # both keys checked, each through compare_digest
    assert all(len(a) == len(b) == 32 for a, b in calls)


def test_verified_keys_are_cached_by_keyed_digest(
    auth: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    scrypts = 0
    real = hashlib.scrypt

    def counting(*a: Any, **kw: Any) -> bytes:
        nonlocal scrypts
        scrypts += 1
        return real(*a, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for _ in range(3):
        assert auth.authenticate({"x-api-key": KEY_B}) is not None
        assert auth.authenticate({"x-api-key": "er-stale"}) is None
    assert scrypts == 2 + 2  # first bravo: alpha then bravo; first stale: both
    cached = list(auth._cache)
    assert all(len(t) == 32 and KEY_B.encode() not in t for t in cached)


def test_async_path(auth: Authenticator) -> None:
    async def go() -> tuple[ClientIdentity | None, ClientIdentity | None]:
        first = await auth.authenticate_async({"authorization": f"Bearer {KEY_A}"})
        again = await auth.authenticate_async({"authorization": f"Bearer {KEY_A}"})
        return first, again

    first, again = asyncio.run(go())
    assert first == again == ClientIdentity("alpha", "acme", "strict")


def test_require_policy(settings: AuthSettings, hashes: dict[str, str]) -> None:
    strict = Authenticator(settings)
    with pytest.raises(AuthError, match="missing"):
        strict.require({})
    with pytest.raises(AuthError) as exc:
        strict.require({"x-api-key": "er-wrong-key-value"})
    assert "er-wrong-key-value" not in exc.value.message
    assert strict.require({"x-api-key": KEY_A}) is not None

    # Keys configured but not required: anonymous passes, a wrong key does not.
    optional = Authenticator(AuthSettings(keys=(ApiKey(id="a", hash=hashes[KEY_A]),)))
    assert optional.require({}) is None
    with pytest.raises(AuthError):
        optional.require({"authorization": "Bearer sk-no-key"})

    # No auth configured at all: SDK placeholder keys are ignored.
    assert Authenticator(AuthSettings()).require({"authorization": "Bearer sk-x"}) is None


def test_is_admin(auth: Authenticator) -> None:
    assert auth.is_admin({"Authorization": f"Bearer {ADMIN}"})
    assert auth.is_admin({"Authorization": f"Bearer {ADMIN}"})  # cached path
    assert not auth.is_admin({"Authorization": f"Bearer {KEY_A}"})
    assert not auth.is_admin({})
    assert not Authenticator(AuthSettings()).is_admin({"Authorization": f"Bearer {ADMIN}"})


def test_may_operate(settings: AuthSettings, hashes: dict[str, str]) -> None:
    scrape = "scrape-token-0123456789abcdef"
    auth = Authenticator(settings.model_copy(update={"metrics_token_hash": hash_key(scrape)}))
    for metrics in (False, True):
        assert auth.may_operate(KEY_B, metrics=metrics)
        assert auth.may_operate(ADMIN, metrics=metrics)
        assert not auth.may_operate("er-wrong", metrics=metrics)
    assert auth.may_operate(scrape, metrics=True)
    assert not auth.may_operate(scrape)  # the scrape token opens /metrics only
    assert not auth.is_admin({"x-api-key": scrape})


def test_failures_throttled_per_calling_address(settings: AuthSettings) -> None:
    auth = Authenticator(settings.model_copy(update={"max_failures_per_minute": 2}))
    assert auth.verify_key(KEY_A) is not None  # outside a request: never throttled
    token = client_address.set("192.0.2.9")
    try:
        assert auth.verify_key("er-wrong-1") is None
        assert auth.verify_key("er-wrong-2") is None
        for attempt in (
            lambda: auth.verify_key("er-wrong-3"),
            lambda: auth.verify_key(KEY_B),  # not verified before: waits out the block
            lambda: auth.is_admin({"x-api-key": ADMIN}),
            lambda: auth.may_operate("er-wrong-4"),
        ):
            with pytest.raises(TooManyAuthFailures) as exc:
                attempt()
            assert exc.value.status == 429 and exc.value.headers["Retry-After"] == "60"
        assert auth.verify_key(KEY_A) is not None  # verified before: still welcome
    finally:
        client_address.reset(token)
    token = client_address.set("192.0.2.10")
    try:
        assert auth.verify_key(KEY_B) is not None  # another address
    finally:
        client_address.reset(token)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"keys": [{"id": "a", "hash": "sha256$x$y"}]}, "scrypt"),
        ({"keys": [{"id": "a", "hash": "scrypt$30$8$1$AAAA$AAAA"}]}, "range"),
        ({"keys": [{"id": "a", "hash": "scrypt$14$8$1$!!$AAAA"}]}, "malformed"),
        ({"keys": [{"id": "bad id", "hash": "h"}]}, "id"),
        ({"require_auth": True}, "no keys"),
        ({"admin_token_hash": "plaintext"}, "scrypt"),
        ({"metrics_token_hash": "plaintext"}, "scrypt"),
        ({"max_failures_per_minute": -1}, "greater than or equal"),
        ({"failure_block_s": 0}, "greater than"),
        ({"keys": [], "extra": 1}, "extra"),
    ],
)
def test_settings_validation(raw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        AuthSettings.model_validate(raw)


def test_duplicate_ids_refused(hashes: dict[str, str]) -> None:
    k = {"id": "a", "hash": hashes[KEY_A]}
    with pytest.raises(ValidationError, match="unique"):
        AuthSettings.model_validate({"keys": [k, k]})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("router.internal", False),
    ],
)
def test_bind_check(host: str, loopback: bool, settings: AuthSettings) -> None:
    no_auth = check_bind_allowed(host, AuthSettings())
    assert (no_auth is None) is loopback
    if not loopback:
        assert no_auth is not None and "require_auth" in no_auth
    assert check_bind_allowed(host, settings) is None  # auth on: any address


def test_bind_check_keys_without_require(hashes: dict[str, str]) -> None:
    optional = AuthSettings(keys=(ApiKey(id="a", hash=hashes[KEY_A]),))
    assert check_bind_allowed("0.0.0.0", optional) is not None


def test_keys_cli_hash_and_generate() -> None:
    out = io.StringIO()
    assert keys_cli(["hash"], stdin=io.StringIO(KEY_A + "\n"), out=out) == 0
    h = out.getvalue().strip()
    a = Authenticator(AuthSettings(keys=(ApiKey(id="x", hash=h),)))
    assert a.authenticate({"x-api-key": KEY_A}) == ClientIdentity("x", None, None)

    out = io.StringIO()
    assert keys_cli(["generate", "--id", "ci", "--tenant", "acme"], out=out) == 0
    text = out.getvalue()
    key = text.splitlines()[1].removeprefix("# ")
    assert key.startswith("er-") and len(key) > 40
    cfg = AuthSettings.model_validate({**yaml.safe_load(text)["auth"], "require_auth": True})
    assert Authenticator(cfg).authenticate({"x-api-key": key}) == ClientIdentity("ci", "acme", None)

    assert keys_cli(["hash"], stdin=io.StringIO("\n"), out=io.StringIO()) == 2
