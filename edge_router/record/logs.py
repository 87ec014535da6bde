"""Structured JSON logs on stdout (journald picks them up under systemd).

Log records carry ids, routes, rules, entity *types*, counts and timings:
never prompt text or detected values. Callers pass such fields via
``extra={"fields": {...}}``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

# Loggers whose messages we write verbatim: ours (reviewed to carry no text) and
# the server's. Libraries that see request text (Presidio logs its context words
# at debug level, for one) are capped at WARNING and their messages withheld.
_TRUSTED = ("edge_router", "uvicorn")
_WITHHELD = "message withheld: third-party log text may quote request content"


def _trusted(name: str) -> bool:
    return any(name == t or name.startswith(t + ".") for t in _TRUSTED)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage() if _trusted(record.name) else _WITHHELD,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and _trusted(record.name):
            out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages of foreign exceptions may quote input.
            out["exc_type"] = record.exc_info[0].__name__
        return json.dumps(out, separators=(",", ":"), default=str)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    handler.addFilter(lambda r: _trusted(r.name) or r.levelno >= logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
