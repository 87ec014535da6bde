"""The long-lived parts of a running router, built in the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .backends.base import CloudBackend
from .backends.llama_local import LocalModelRunner
from .config import Settings
from .metrics import Metrics

if TYPE_CHECKING:
    from .audit import AuditLog
    from .auth import Authenticator
    from .load import LoadProbe
    from .pipeline import Router


@dataclass
class AppState:
    """Handed to request handlers through ``request.app.state.edge``."""

    settings: Settings
    runners: dict[str, LocalModelRunner] = field(default_factory=dict)
    providers: list[CloudBackend] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    """Requests now running on each provider (balances trusted on-prem servers)."""
    started_at: float = field(default_factory=time.time)
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    load: LoadProbe | None = None
    audit: AuditLog | None = None
    auth: Authenticator | None = None
    _router: Router | None = None

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("router used before the app finished starting")
        return self._router

    @router.setter
    def router(self, value: Router) -> None:
        self._router = value
