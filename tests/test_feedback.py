"""``POST /v1/feedback`` against the real daemon (real scanner, real model loaded, a fake
provider answering, the official openai SDK as client): personal data in a comment
never reaches the store, ids are checked against the audit trail and their owner, and
bad bodies get OpenAI-shaped 400s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_provider import FakeControl, fake_provider_settings
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.api.auth import ApiKey, AuthSettings, hash_key
from edge_router.app import create_app
from edge_router.config import PolicySettings, Settings
from edge_router.record.audit import AuditSettings
from edge_router.record.feedback import rows
from edge_router.routing.experiments import ArmSettings, ExperimentSettings

KEYS = {"alpha": "er-alpha-0123456789", "bravo": "er-bravo-0123456789", "other": "er-other-0123"}
TENANTS = {"alpha": "acme", "bravo": "acme", "other": "globex"}
EMAIL = "jane.roe@example.com"


@pytest.fixture(scope="module")
def stack(
    settings: Settings, fake: tuple[str, FakeControl], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Settings]]:
    d = tmp_path_factory.mktemp("feedback")
    (d / "policies").mkdir()
    (d / "policies" / "cloudy.yaml").write_text("name: cloudy\ndefault: cloud\n")
    keys = tuple(ApiKey(id=k, hash=hash_key(v), tenant=TENANTS[k]) for k, v in KEYS.items())
    s = settings.model_copy(
        update={
            "audit": AuditSettings(path=str(d / "audit.sqlite")),
            "policy": PolicySettings(dir=str(d / "policies"), default="cloudy"),
            "auth": AuthSettings(require_auth=True, keys=keys),
            "providers": (fake_provider_settings(fake[0]),),
            "experiments": (
                ExperimentSettings(name="fb", arms=(ArmSettings(name="a"), ArmSettings(name="b"))),
            ),
        }
    )
    with serve(create_app(s, scanner=shared_scanner())) as url:
        yield url, s


def client(url: str, who: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=KEYS[who], max_retries=0)


def answered(url: str, who: str = "alpha", **kw: Any) -> str:
    raw = client(url, who).chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "Say hello"}], max_tokens=4, **kw
    )
    if kw.get("stream"):
        for _ in raw.parse():
            pass
    return str(raw.headers["x-request-id"])


def feedback(url: str, who: str, body: dict[str, Any]) -> Any:
    return client(url, who).post("/feedback", body=body, cast_to=object)


def db_bytes(s: Settings) -> bytes:
    path = s.feedback.resolve_path(s.audit)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_comment_with_an_email_stores_no_email(stack: Any) -> None:
    url, s = stack
    rid = answered(url)
    got = feedback(
        url,
        "alpha",
        {
            "request_id": rid,
            "rating": 0,
            "labels": ["wrong", "too-long"],
            "comment": f"Wrong answer. Write back to {EMAIL} please.",
        },
    )
    assert got["comment_stored"] is False
    assert got["comment_entity_types"].get("EMAIL_ADDRESS") == 1
    assert got["labels"] == ["wrong", "too-long"] and got["arm"] in ("fb:a", "fb:b")
    stored = [r for r in rows(s.feedback.resolve_path(s.audit)) if r["request_id"] == rid]
    assert stored and stored[0]["comment"] is None
    assert stored[0]["comment_entity_types"]["EMAIL_ADDRESS"] == 1
    assert stored[0]["key_id"] == "alpha" and stored[0]["arm"] == got["arm"]
    raw = db_bytes(s)
    assert raw and EMAIL.encode() not in raw and b"jane.roe" not in raw
    assert b"Write back" not in raw  # the whole comment goes, not just the address


def test_clean_comment_is_kept_and_a_new_rating_replaces_the_old(stack: Any) -> None:
    url, s = stack
    rid = answered(url, stream=True)  # audited just after the stream: found all the same
    first = feedback(url, "alpha", {"request_id": rid, "rating": 1, "comment": "Short, right."})
    assert first["comment_stored"] is True and first["comment_entity_types"] == {}
    again = feedback(url, "alpha", {"request_id": rid, "rating": 0.25})
    assert again["id"] == first["id"]
    stored = [r for r in rows(s.feedback.resolve_path(s.audit)) if r["request_id"] == rid]
    assert len(stored) == 1 and stored[0]["rating"] == 0.25 and stored[0]["comment"] is None
    assert (
        "edge_router_feedback_rating_count"
        in httpx.get(url + "/metrics", headers={"authorization": f"Bearer {KEYS['alpha']}"}).text
    )


def test_ids_belong_to_their_key_or_tenant(stack: Any) -> None:
    url, _ = stack
    rid = answered(url, "alpha")
    assert feedback(url, "bravo", {"request_id": rid, "rating": 1})["request_id"] == rid
    with pytest.raises(openai.NotFoundError) as err:
        feedback(url, "other", {"request_id": rid, "rating": 1})
    assert err.value.code == "request_not_found" and err.value.param == "request_id"
    with pytest.raises(openai.NotFoundError):
        feedback(url, "alpha", {"request_id": "chatcmpl-" + "0" * 32, "rating": 1})
    r = httpx.post(url + "/v1/feedback", json={"request_id": rid, "rating": 1})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


def test_a_route_dry_run_has_no_answer_to_rate(stack: Any) -> None:
    url, _ = stack
    r = httpx.post(
        url + "/v1/route",
        json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": f"Bearer {KEYS['alpha']}"},
    )
    with pytest.raises(openai.BadRequestError) as err:
        feedback(url, "alpha", {"request_id": r.headers["x-request-id"], "rating": 1})
    assert err.value.code == "no_answer"


@pytest.mark.parametrize(
    "body, param",
    [
        ({"rating": 1}, "request_id"),
        ({"request_id": "has spaces", "rating": 1}, "request_id"),
        ({"request_id": "chatcmpl-1", "rating": 2}, "rating"),
        ({"request_id": "chatcmpl-1", "rating": True}, "rating"),
        ({"request_id": "chatcmpl-1", "rating": "good"}, "rating"),
        ({"request_id": "chatcmpl-1", "rating": 1, "labels": "bad"}, "labels"),
        ({"request_id": "chatcmpl-1", "rating": 1, "labels": ["a b"]}, "labels"),
        ({"request_id": "chatcmpl-1", "rating": 1, "comment": "x" * 2001}, "comment"),
        ({"request_id": "chatcmpl-1", "rating": 1, "score": 3}, "score"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field(stack: Any, body: Any, param: str) -> None:
    url, _ = stack
    with pytest.raises(openai.BadRequestError) as err:
        feedback(url, "alpha", body)
    assert err.value.param == param
    assert isinstance(err.value.body, dict) and err.value.body.get("type") == (
        "invalid_request_error"
    )


def test_feedback_store_path_is_beside_the_audit_db(stack: Any) -> None:
    _, s = stack
    path = s.feedback.resolve_path(s.audit)
    assert path == Path(str(s.audit.path)).with_name("feedback.sqlite") and path.is_file()
    assert (path.stat().st_mode & 0o077) == 0
