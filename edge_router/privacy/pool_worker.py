"""The body of one scanner worker process (started by ``privacy/pool.py``, 'spawn').

It builds its own :class:`PrivacyScanner` (its own spaCy pipeline, no cache: the cache
is the parent's), says ``("ready", pid)`` and then answers, in order, each
``list[str]`` it receives with ``("ok", detections per text)`` or ``("error", type)``.
``None`` or a closed pipe (the parent has gone) ends it. Texts never reach a log.
"""

from __future__ import annotations

import os
import signal
from multiprocessing.connection import Connection

from edge_router.privacy.settings import ScannerSettings


def serve(conn: Connection, settings: ScannerSettings) -> None:
    """Run until told to stop or the parent goes; see the module docstring."""
    # Ctrl-C reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One worker per core already: numpy's BLAS (NER's matrix products, see
    # engine.set_matmul) must not start a thread per core in each of them. Read when
    # numpy loads, so before the scanner's import; an operator's own value wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from edge_router.privacy.scanner import PrivacyScanner  # slow: after the signal setup

    scanner = PrivacyScanner(settings.model_copy(update={"cache_size": 0}))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            texts = conn.recv()
        except (EOFError, OSError):  # the parent is gone: so are we
            return
        if texts is None:
            return
        try:
            found = scanner.detect_fresh(texts)
            reply: tuple[str, object] = ("ok", [found[t] for t in texts])
        except Exception as exc:  # the type only: a message could quote the text
            reply = ("error", type(exc).__name__)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
