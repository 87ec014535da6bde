"""The long-lived parts of a running router, built in the app's lifespan
(``lifespan.build_state``) and reached the same way everywhere:
``request.app.state.edge``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edge_router.backends.base import CloudBackend
from edge_router.backends.llama_local import LocalModelRunner
from edge_router.backends.local_embed import LocalEmbedder
from edge_router.config import Settings
from edge_router.record.metrics import Metrics
from edge_router.routing.policy import PolicyError

if TYPE_CHECKING:
    from edge_router.api.auth import Authenticator
    from edge_router.flow.budget import Budgets
    from edge_router.flow.cache import ResponseCache
    from edge_router.load.probe import LoadProbe
    from edge_router.privacy.pool import ScanPool
    from edge_router.record.audit import AuditLog
    from edge_router.record.costs import Pricer
    from edge_router.routing.pipeline import Router


@dataclass
class AppState:
    """Handed to request handlers through ``request.app.state.edge``; built by
    ``lifespan.build_state`` (``AppState(settings=...)`` alone is an idle shell, for
    tests of what reads it)."""

    settings: Settings
    runners: dict[str, LocalModelRunner] = field(default_factory=dict)
    embedders: dict[str, LocalEmbedder] = field(default_factory=dict)
    """Local embedding models by name (each loads on its first request)."""
    providers: list[CloudBackend] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    """Requests now running on each provider (balances trusted on-prem servers)."""
    started_at: float = field(default_factory=time.time)
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    load: LoadProbe | None = None
    audit: AuditLog | None = None
    auth: Authenticator | None = None
    cache: ResponseCache | None = None
    """The response cache (``cache.enabled``); None when off."""
    scan_pool: ScanPool | None = None
    """Scanner worker processes (``privacy.workers`` of 2 or more); None: in-process."""
    pricer: Pricer | None = None
    """Prices answers (``pricing``); None in an idle shell: nothing is priced."""
    budgets: Budgets | None = None
    """Spending per key and tenant with a budget; None when no budget is configured."""
    _router: Router | None = None

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("router used before the app finished starting")
        return self._router

    @router.setter
    def router(self, value: Router) -> None:
        self._router = value


log = logging.getLogger("edge_router.app")


def reload_policies(state: AppState) -> bool:
    """Re-read the policy files; on any problem keep the last good policies (SIGHUP)."""
    pol = state.settings.policy
    try:
        from edge_router.lifespan import check_names
        from edge_router.routing.pipeline import PolicySet  # the router's own loader

        fresh = PolicySet.load(pol.directory(), pol.default)
        check_names(fresh, state.settings)  # a rule's domain, provider or model must exist
    except PolicyError as exc:
        log.error(
            "policy reload failed; keeping the last good policies",
            extra={"fields": {"problems": list(exc.problems)}},
        )
        state.metrics.reloads.labels("failed").inc()
        return False
    state.router.policies = fresh
    state.metrics.reloads.labels("ok").inc()
    log.info("policies reloaded", extra={"fields": {"policies": sorted(fresh.policies)}})
    return True
