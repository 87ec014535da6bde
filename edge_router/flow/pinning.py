"""Which exact upstream model answered, and whether it is the one the operator pinned.

Providers answer with a ``model`` id (often a dated version behind an alias). It goes
into the audit record as ``upstream_model``; when the provider's config pins the id for
that model (``providers[].pinned_models``), any other id counts in
``edge_router_pin_mismatches`` and logs a warning (provider and both ids, never
content), and with ``on_pin_mismatch: failover`` raises :class:`PinMismatch`, a
backend failure: the dispatcher decides again without that provider.

Example::

    got = upstream_label(completion.get("model"))
    check_pin(state, "openai", "gpt-4o", got)   # raises PinMismatch on failover
"""

from __future__ import annotations

import logging
import re
from typing import Any

from edge_router.errors import BackendError
from edge_router.state import AppState

log = logging.getLogger("edge_router.flow.pinning")

# The audit record's label shape: an id outside it is not stored as is.
_LABEL = re.compile(r"^[A-Za-z0-9_.:/@+-]{1,128}$")
UNREADABLE = "unreadable"
"""``upstream_model`` when the provider's id is missing or not a plain model id."""


class PinMismatch(BackendError):
    """A provider answered with another model than the pinned one (``failover``)."""

    code = "pinned_model_mismatch"


def upstream_label(raw: Any) -> str:
    """The provider's ``model`` field as an audit label."""
    return raw if isinstance(raw, str) and _LABEL.match(raw) else UNREADABLE


def check_pin(state: AppState, provider: str, sent: str, got: str) -> None:
    """Compare ``got`` with the id pinned for ``sent`` (the upstream name) at ``provider``."""
    settings = next((p for p in state.settings.providers if p.name == provider), None)
    want = settings.pinned(sent) if settings is not None else None
    if want is None or got == want:
        return
    action = settings.on_pin_mismatch if settings is not None else "warn"
    state.metrics.pin_mismatches.labels(provider, action).inc()
    log.warning(
        "provider answered with another model than the pinned one",
        extra={"fields": {"provider": provider, "pinned": want, "got": got, "action": action}},
    )
    if action == "failover":
        raise PinMismatch(f"Provider '{provider}' answered with an unpinned model version.")


def pinned_mapping(state: AppState) -> dict[str, dict[str, str]]:
    """Per provider with pins: model -> pinned id (for /v1/models)."""
    return {p.name: dict(p.pinned_models) for p in state.settings.providers if p.pinned_models}
