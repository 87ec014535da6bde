"""/v1/embeddings end to end: the official openai SDK against the daemon on 127.0.0.1
(real embedded model in embedding mode, real scanner), in front of a fake embeddings
provider, a real HTTP server that records every request it gets."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from privacy_fixtures import shared_scanner
from serving import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge_router.app import create_app
from edge_router.backends.settings import ProviderSettings
from edge_router.cli import _status_lines
from edge_router.config import ConfigError, PolicySettings, Settings, load_settings
from edge_router.record.audit import AuditSettings
from edge_router.record.audit_query import AuditReader
from edge_router.wire.anthropic_upstream import MalformedUpstream
from edge_router.wire.openai_embeddings import (
    outbound_fields,
    project,
    upstream_vectors,
    validate_embeddings,
)

LOCAL = "smollm2-135m-embed"
CLOUD = "text-embed-fake"
UPSTREAM = "upstream-embed-v3"
ONPREM = "onprem-embed"
EMAIL = "quentin.marsh@example.net"
DIM = 8

POLICY = """\
name: embtest
rules:
  - name: redact-on-request
    when: {headers: {x-test-mode: redact}}
    action: redact
  - name: block-on-request
    when: {headers: {x-test-mode: block}}
    action: block
  - name: contact-data-local
    when: {entities: [EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD]}
    action: local
default: auto
"""


def fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 for b in digest[:DIM]]


class FakeEmbeddings:
    """Records every request (any path); answers /v1/embeddings like OpenAI, with the
    items in reverse order so that the router must sort them by ``index``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, Any]] = []
        self.fail = False
        self.garble = False

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            with self.lock:
                self.received.append((request.url.path, json.loads(raw) if raw else None))
            if request.url.path != "/v1/embeddings":
                return JSONResponse({"error": {"message": "not here"}}, 404)
            if self.fail:
                return JSONResponse({"error": {"message": "down", "type": "server_error"}}, 500)
            body = json.loads(raw)
            data = [
                {"object": "embedding", "index": i, "embedding": fake_vector(t)}
                for i, t in enumerate(body["input"])
            ]
            if self.garble:
                data = data[1:]  # one vector short
            usage = {"prompt_tokens": 7, "total_tokens": 7}
            return JSONResponse(
                {"object": "list", "data": data[::-1], "model": body["model"], "usage": usage}
            )

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])

    def take(self) -> list[tuple[str, Any]]:
        with self.lock:
            out, self.received = self.received, []
        return out


class Stack:
    def __init__(self, url: str, fake: FakeEmbeddings, audit: Path) -> None:
        self.url = url
        self.fake = fake
        self.audit = audit
        self.oa = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)

    def post(self, body: Any, **headers: str) -> httpx.Response:
        return httpx.post(self.url + "/v1/embeddings", json=body, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("embeddings")
    (root / "policies").mkdir()
    (root / "policies" / "embtest.yaml").write_text(POLICY)
    fake = FakeEmbeddings()
    with serve(fake.app()) as furl:
        common: dict[str, Any] = {"max_retries": 0, "breaker_failures": 50, "read_timeout_s": 10}
        providers = (
            ProviderSettings(
                name="embcloud",
                kind="openai_compatible",
                base_url=furl + "/v1",
                embedding_models=(CLOUD,),
                model_map={CLOUD: UPSTREAM},
                **common,
            ),
            ProviderSettings(
                name="onprem",
                kind="openai_compatible",
                base_url=furl + "/v1",
                embedding_models=(ONPREM,),
                trusted_local=True,
                **common,
            ),
        )
        audit = root / "audit.sqlite"
        s = settings.model_copy(
            update={
                "policy": PolicySettings(dir=str(root / "policies"), default="embtest"),
                "providers": providers,
                "audit": AuditSettings(path=str(audit)),
            }
        )
        with serve(create_app(s, scanner=shared_scanner())) as url:
            st = Stack(url, fake, audit)
            yield st


@pytest.fixture()
def st(stack: Stack) -> Iterator[Stack]:
    stack.fake.take()
    stack.fake.fail = stack.fake.garble = False
    yield stack
    stack.fake.fail = stack.fake.garble = False


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def floats(st: Stack, inputs: Any, model: str = LOCAL) -> list[list[float]]:
    r = st.post({"model": model, "input": inputs, "encoding_format": "float"})
    assert r.status_code == 200, r.text
    return [d["embedding"] for d in r.json()["data"]]


# ---- local model ---------------------------------------------------------------------------


def test_single_string_shape_and_unit_length(st: Stack) -> None:
    raw = st.oa.embeddings.with_raw_response.create(
        model=LOCAL, input="The cat sat on the mat.", encoding_format="float"
    )
    assert raw.headers["x-edge-router-route"] == "local"
    assert raw.headers["x-edge-router-model"] == LOCAL
    assert raw.headers["x-request-id"].startswith("embd-")
    resp = raw.parse()
    assert resp.object == "list" and resp.model == LOCAL
    assert len(resp.data) == 1
    item = resp.data[0]
    assert item.object == "embedding" and item.index == 0
    assert len(item.embedding) == 576
    assert abs(math.sqrt(dot(item.embedding, item.embedding)) - 1) < 1e-5
    assert resp.usage.prompt_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens


def test_list_with_auto_uses_the_default_local_model(st: Stack) -> None:
    texts = ["red apples", "green pears", "blue skies"]
    resp = st.oa.embeddings.create(model="auto", input=texts)  # the SDK asks for base64
    assert resp.model == LOCAL
    assert [d.index for d in resp.data] == [0, 1, 2]
    assert resp.data[0].embedding == floats(st, texts)[0]
    assert st.fake.take() == []


def test_base64_decodes_to_the_float_values(st: Stack) -> None:
    texts = ["one input", "and a second, longer input"]
    r = st.post({"model": LOCAL, "input": texts, "encoding_format": "base64"})
    assert r.status_code == 200
    decoded = []
    for item in r.json()["data"]:
        blob = base64.b64decode(item["embedding"])
        decoded.append(list(struct.unpack(f"<{len(blob) // 4}f", blob)))
    assert decoded == floats(st, texts)


def test_paraphrases_are_closer_than_unrelated_texts(st: Stack) -> None:
    pairs = [
        ("The cat sat on the mat.", "A cat was sitting on the rug.", "Quarterly revenue rose."),
        (
            "Quarterly revenue rose by ten percent.",
            "The company's sales increased 10% this quarter.",
            "How do I bake bread?",
        ),
        (
            "How do I bake bread at home?",
            "What is a recipe for homemade bread?",
            "The cat sat on the mat.",
        ),
    ]
    for anchor, paraphrase, unrelated in pairs:
        a, p, u = floats(st, [anchor, paraphrase, unrelated])
        assert dot(a, p) > dot(a, u), (anchor, paraphrase, unrelated)


def test_token_arrays_stay_local(st: Stack) -> None:
    two = floats(st, [[1, 2, 3], [4, 5]])
    assert len(two) == 2 and len(two[0]) == 576
    one = floats(st, [1, 2, 3])
    # Same tokens, other batch: llama.cpp's sums differ in the last bits.
    assert one[0] == pytest.approx(two[0], abs=1e-5)
    assert one[0] != pytest.approx(two[1], abs=1e-3)


def test_sensitive_input_is_embedded_locally(st: Stack) -> None:
    r = st.post({"model": LOCAL, "input": f"write to {EMAIL}"})
    assert r.status_code == 200
    assert r.headers["x-edge-router-rule"] == "contact-data-local"
    assert st.fake.take() == []


def test_models_list_names_embedding_models(st: Stack) -> None:
    ids = {m.id for m in st.oa.models.list()}
    assert {LOCAL, CLOUD, ONPREM} <= ids


# ---- cloud model ---------------------------------------------------------------------------


def test_clean_input_reaches_the_cloud_model_exactly_as_scanned(st: Stack) -> None:
    texts = ["What is the capital of France?", "Bananas are yellow."]
    raw = st.oa.embeddings.with_raw_response.create(
        model=CLOUD,
        input=texts,
        dimensions=DIM,
        user="tenant-42",
        extra_body={"unknown_field": "must not leave"},
    )
    assert raw.headers["x-edge-router-route"] == "cloud"
    assert raw.headers["x-edge-router-provider"] == "embcloud"
    resp = raw.parse()
    assert resp.model == CLOUD
    got = [list(d.embedding) for d in resp.data]
    # The fake answered in reverse order; the SDK decoded base64 the router encoded.
    assert len(got) == 2
    for vector, text in zip(got, texts, strict=True):
        assert vector == pytest.approx(fake_vector(text), abs=1e-6)
    assert resp.usage.prompt_tokens == 7
    sent = st.fake.take()
    assert sent == [
        (
            "/v1/embeddings",
            {
                "model": UPSTREAM,
                "input": texts,
                "encoding_format": "float",
                "dimensions": DIM,
                "user": "tenant-42",
            },
        )
    ]


def test_pii_for_a_cloud_model_is_refused_and_nothing_is_sent(st: Stack) -> None:
    with pytest.raises(openai.PermissionDeniedError) as err:
        st.oa.embeddings.create(model=CLOUD, input=["fine text", f"mail {EMAIL} today"])
    body = err.value.body
    assert isinstance(body, dict)
    assert body["code"] == "input_must_stay_local"
    assert "EMAIL_ADDRESS" in body["message"] and EMAIL not in body["message"]
    assert st.fake.take() == []


def test_sensitive_under_auto_is_refused_for_a_cloud_model(st: Stack) -> None:
    text = "My wife Radka Novakova was diagnosed with diabetes last week."
    r = st.post({"model": CLOUD, "input": text})
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "input_must_stay_local"
    assert "auto:sensitive" in r.json()["error"]["message"]
    assert st.fake.take() == []


def test_personal_data_in_user_is_scanned(st: Stack) -> None:
    r = st.post({"model": CLOUD, "input": "Bananas are yellow.", "user": EMAIL})
    assert r.status_code == 403
    assert st.fake.take() == []


def test_redaction_is_refused_for_a_cloud_model(st: Stack) -> None:
    r = st.post({"model": CLOUD, "input": "Bananas are yellow."}, **{"x-test-mode": "redact"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "redaction_not_applicable"
    ok = st.post({"model": LOCAL, "input": "Bananas are yellow."}, **{"x-test-mode": "redact"})
    assert ok.status_code == 200
    assert st.fake.take() == []


def test_block_applies_to_every_model(st: Stack) -> None:
    for model in (LOCAL, CLOUD):
        r = st.post({"model": model, "input": "hello"}, **{"x-test-mode": "block"})
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "blocked_by_policy"
    assert st.fake.take() == []


def test_token_arrays_for_a_cloud_model_are_refused(st: Stack) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        st.oa.embeddings.create(model=CLOUD, input=[[101, 2023, 102]])
    body = err.value.body
    assert isinstance(body, dict)
    assert body["code"] == "unscannable_input" and body["param"] == "input"
    assert st.fake.take() == []


def test_provider_failure_is_502_and_no_other_model_answers(st: Stack) -> None:
    st.fake.fail = True
    r = st.post({"model": CLOUD, "input": "Bananas are yellow."})
    assert r.status_code == 502
    assert r.json()["error"]["type"] == "upstream_error"
    assert len(st.fake.take()) == 1


def test_a_garbled_upstream_answer_is_502(st: Stack) -> None:
    st.fake.garble = True
    r = st.post({"model": CLOUD, "input": ["Bananas are yellow.", "Grass is green."]})
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_malformed"


def test_trusted_on_prem_server_gets_sensitive_input(st: Stack) -> None:
    text = f"write to {EMAIL}"
    r = st.post({"model": ONPREM, "input": text, "encoding_format": "float"})
    assert r.status_code == 200, r.text
    assert r.headers["x-edge-router-route"] == "local"
    assert r.json()["data"][0]["embedding"] == pytest.approx(fake_vector(text))
    assert st.fake.take() == [
        ("/v1/embeddings", {"model": ONPREM, "input": [text], "encoding_format": "float"})
    ]


def test_requests_are_audited_without_content(st: Stack) -> None:
    st.post({"model": CLOUD, "input": f"mail {EMAIL}"})
    st.post({"model": LOCAL, "input": "audit me"})
    rows = [r for r in AuditReader(st.audit).query(limit=50) if r["request_id"].startswith("embd-")]
    assert {(r["route"], r["status"]) for r in rows[:2]} == {("block", 403), ("local", 200)}
    assert EMAIL not in json.dumps(rows)


# ---- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": LOCAL}, 400, "input"),
        ({"model": LOCAL, "input": ""}, 400, "input"),
        ({"model": LOCAL, "input": []}, 400, "input"),
        ({"model": LOCAL, "input": ["a", ""]}, 400, "input.1"),
        ({"model": LOCAL, "input": ["a", 1]}, 400, "input"),
        ({"model": LOCAL, "input": [[]]}, 400, "input.0"),
        ({"model": LOCAL, "input": [[1, -2]]}, 400, "input.0"),
        ({"model": LOCAL, "input": [True, 2]}, 400, "input"),
        ({"model": LOCAL, "input": {"text": "a"}}, 400, "input"),
        ({"model": LOCAL, "input": ["a"] * 2049}, 400, "input"),
        ({"model": LOCAL, "input": "a", "encoding_format": "hex"}, 400, "encoding_format"),
        ({"model": LOCAL, "input": "a", "dimensions": 0}, 400, "dimensions"),
        ({"model": LOCAL, "input": "a", "dimensions": "8"}, 400, "dimensions"),
        ({"model": LOCAL, "input": "a", "dimensions": 8}, 400, "dimensions"),
        ({"model": LOCAL, "input": "a", "user": 5}, 400, "user"),
        ({"model": "no such model", "input": "a"}, 400, "model"),
        ({"model": "gpt-unknown", "input": "a"}, 404, "model"),
        ({"model": LOCAL, "input": [[10**9]]}, 400, "input"),
        ({"model": LOCAL, "input": "word " * 3000}, 400, "input"),
    ],
)
def test_bad_input_gets_an_openai_error(
    st: Stack, body: dict[str, Any], status: int, param: str
) -> None:
    r = st.post(body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["param"] == param
    assert "Traceback" not in r.text


def test_malformed_json_is_an_openai_error(st: Stack) -> None:
    r = httpx.post(
        st.url + "/v1/embeddings",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"


# ---- the wire format and config, without a daemon ---------------------------------------


def test_projection_keeps_only_allowed_fields_and_scans_every_string() -> None:
    body = {
        "model": CLOUD,
        "input": ["a", "b"],
        "user": "u-1",
        "dimensions": 4,
        "encoding_format": "base64",
        "extra": {"secret": "not forwarded"},
    }
    out = project(validate_embeddings(body))
    assert out == {"model": CLOUD, "input": ["a", "b"], "dimensions": 4, "user": "u-1"}
    fields, non_text = outbound_fields(out)
    assert [(f.path, f.text) for f in fields] == [
        ("input[0]", "a"),
        ("input[1]", "b"),
        ("user", "u-1"),
    ]
    assert non_text == []
    tokens = outbound_fields(project(validate_embeddings({"input": [[1, 2], [3]]})))
    assert tokens == ([], ["input[0]", "input[1]"])


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"data": "nope"},
        {"data": [{"index": 0, "embedding": [0.1]}]},  # one short
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 0, "embedding": [0.2]}]},
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": [0.2, 0.3]}]},
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": ["x"]}]},
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 2, "embedding": [0.2]}]},
        {"data": [{"index": 0, "embedding": [0.1]}, {"index": 1, "embedding": "AAAA"}]},
    ],
)
def test_malformed_upstream_vectors_are_refused(answer: Any) -> None:
    with pytest.raises(MalformedUpstream):
        upstream_vectors(answer, 2)


def test_upstream_vectors_are_put_in_input_order() -> None:
    answer = {
        "data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1]}],
        "usage": {"prompt_tokens": 3},
    }
    assert upstream_vectors(answer, 2) == ([[1.0], [2.0]], 3)


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("local: {default_embedding_model: nope}\n", "default_embedding_model"),
        (
            "local:\n  embedding_models: [{name: smollm2-135m-instruct, path: x.gguf}]\n"
            "  default_embedding_model: smollm2-135m-instruct\n",
            "both a chat model and an embedding model",
        ),
        (
            "providers: [{name: a, kind: anthropic, base_url: 'https://a.example', "
            "api_key_env: K, embedding_models: [e]}]\n",
            "embedding_models is only valid",
        ),
    ],
)
def test_embedding_config_is_checked_at_startup(tmp_path: Path, config: str, problem: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(config)
    with pytest.raises(ConfigError, match=problem):
        load_settings(path)


def test_readyz_shows_embedding_models_without_waiting_for_them(settings: Settings) -> None:
    """A local embedding model is listed by /readyz, loaded or not: it loads on its first
    request, and the daemon is ready before that (serve() waits for a 200)."""
    with serve(create_app(settings, scanner=shared_scanner())) as url:
        before = httpx.get(url + "/readyz", timeout=30)
        assert before.status_code == 200 and before.json()["status"] == "ready"
        assert before.json()["embedding_models"] == {LOCAL: False}
        # `edge-router status` prints what /readyz says.
        assert f"{LOCAL} (loads on first use)" in "\n".join(_status_lines(url, before.json(), None))
        r = httpx.post(url + "/v1/embeddings", json={"model": LOCAL, "input": "x"}, timeout=120)
        assert r.status_code == 200, r.text
        assert httpx.get(url + "/readyz", timeout=30).json()["embedding_models"] == {LOCAL: True}
