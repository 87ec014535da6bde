"""Shared fixtures: settings, and one real daemon on the real embedded model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from fake_provider import FakeControl, make_fake_provider
from pg_fixture import PgServer, pg_server
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.app import create_app
from edge_router.config import Settings, load_settings
from edge_router.record.audit import AuditSettings

MODEL_HINT = "run ./install.sh to fetch the embedded model"


@pytest.fixture(autouse=True)
def _close_sdk_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the SDK clients a test opened when it ends.

    Left to the garbage collector, a client's pooled socket is reclaimed during some later
    test, whose run then fails on the socket's ResourceWarning (warnings are errors here):
    under load that hit tests that leak nothing themselves.
    """
    opened: list[openai.OpenAI | anthropic.Anthropic] = []
    for cls in (openai.OpenAI, anthropic.Anthropic):
        original = cls.__init__

        def init(self: object, *args: object, _original: object = original, **kw: object) -> None:
            _original(self, *args, **kw)  # type: ignore[operator]
            opened.append(self)  # type: ignore[arg-type]

        monkeypatch.setattr(cls, "__init__", init)
    yield
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Never write the checkout's state/: each session audits into its own temp dir.
    audit = AuditSettings(path=str(tmp_path_factory.mktemp("state") / "audit.sqlite"))
    s = load_settings(None).model_copy(update={"audit": audit})
    for m in s.local.models:
        path = s.local.resolve_path(m)
        if not path.is_file():
            pytest.fail(f"model file missing: {path} ({MODEL_HINT})")
    return s


@pytest.fixture(scope="session")
def live_app(settings: Settings) -> Iterator[tuple[str, object]]:
    """(base_url, app) of a daemon on 127.0.0.1 with the real model, shared by the session."""
    app = create_app(settings, scanner=shared_scanner())
    with serve(app) as url:
        yield url, app


@pytest.fixture(scope="session")
def base_url(live_app: tuple[str, object]) -> str:
    return live_app[0]


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server (real, from the system packages) for the session."""
    yield from pg_server()


@pytest.fixture()
def tmp_config(tmp_path: Path) -> Path:
    return tmp_path / "config.yaml"


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeControl]]:
    """A fake upstream provider on loopback, one per test module (modules may override)."""
    app, control = make_fake_provider()
    with serve(app) as url:
        yield url, control


@pytest.fixture()
def control(fake: tuple[str, FakeControl]) -> Iterator[FakeControl]:
    """The module's fake provider, with its faults and records reset around each test."""
    fake[1].reset()
    yield fake[1]
    fake[1].reset()
