"""edge-router: an on-prem privacy router for LLMs."""

from __future__ import annotations

__version__ = "0.1.0"
