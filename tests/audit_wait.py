"""Read one request's audit record back in a test, waiting for it to be written."""

from __future__ import annotations

import time
from typing import Any

from edge_router.config import Settings
from edge_router.record.audit import AuditReader


def audit_row(settings: Settings, request_id: str) -> dict[str, Any]:
    """The audit record of ``request_id``; waits up to 10 s, because a stream's record is
    queued after its last byte rather than awaited."""
    reader = AuditReader(settings.audit.resolve_path())
    deadline = time.monotonic() + 10
    while True:
        rows = [r for r in reader.query(limit=None) if r["request_id"] == request_id]
        if rows or time.monotonic() > deadline:
            assert rows, request_id
            return rows[0]
        time.sleep(0.05)
