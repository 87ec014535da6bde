from __future__ import annotations

import json
import logging

from edge_router.record.logs import JsonFormatter


def _fmt(name: str, msg: str, **extra: object) -> dict[str, object]:
    rec = logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, None)
    for k, v in extra.items():
        setattr(rec, k, v)
    out: dict[str, object] = json.loads(JsonFormatter().format(rec))
    return out


def test_own_messages_and_fields_pass_through() -> None:
    out = _fmt("edge_router.flow.dispatch", "cloud attempt failed", fields={"provider": "p1"})
    assert out["msg"] == "cloud attempt failed" and out["provider"] == "p1"
    assert out["level"] == "warning"


def test_third_party_text_is_withheld() -> None:
    out = _fmt("presidio-analyzer", "Context list is: call jane@example.com", fields={"x": 1})
    assert "jane" not in json.dumps(out)
    assert "x" not in out and str(out["msg"]).startswith("message withheld")


def test_exception_logged_by_type_only() -> None:
    try:
        raise ValueError("secret value 4111 1111 1111 1111")
    except ValueError:
        import sys

        rec = logging.LogRecord(
            "edge_router.x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    out = json.loads(JsonFormatter().format(rec))
    assert out["exc_type"] == "ValueError" and "4111" not in json.dumps(out)
