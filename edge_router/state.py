"""The long-lived parts of a running router, built in the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .backends.llama_local import LocalModelRunner
from .config import Settings
from .metrics import Metrics


@dataclass
class AppState:
    """Handed to request handlers through ``request.app.state.edge``."""

    settings: Settings
    runners: dict[str, LocalModelRunner] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    ready: bool = False
    metrics: Metrics = field(default_factory=Metrics)
