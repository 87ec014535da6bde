"""Keyed hashes of message contents for the audit trail, and the key file behind them.

Keyed (HMAC-SHA256), not plain SHA-256: a phone number or a name has so few
possibilities that a plain hash is reversed by hashing every candidate. The HMAC key is
generated once and kept beside the database (``<db>.key``, mode 0600): whoever holds the
key (root on this host) can still check "was this exact text sent?", while a copied
database file, backup or export alone reveals nothing.

Example::

    hasher = ContentHasher.load_or_create(Path("/tmp/audit.sqlite.key"))
    hasher.digests(["hello"])   # ("<32 hex chars>",)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from edge_router.record.audit_schema import AuditError


class ContentHasher:
    """HMAC-SHA256 of message contents under a per-installation key (hex, 128 bits kept:
    enough to tell texts apart, half the storage)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("HMAC key must be at least 32 bytes")
        self._key = key

    def digest(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def derive(self, purpose: str) -> ContentHasher:
        """A hasher under a key derived for ``purpose``: routers sharing this key share it
        too, and its digests cannot be matched with this one's."""
        return ContentHasher(hmac.new(self._key, purpose.encode("utf-8"), hashlib.sha256).digest())

    def digests(self, texts: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.digest(t) for t in texts)

    @classmethod
    def load_or_create(cls, path: Path) -> ContentHasher:
        if not path.exists():
            _create_key(path)
        st = path.stat()
        if st.st_mode & 0o077:
            raise AuditError(f"audit key {path} is readable by others; chmod 600 it")
        raw = path.read_text(encoding="ascii").strip()
        try:
            return cls(bytes.fromhex(raw))
        except ValueError as exc:
            raise AuditError(f"audit key {path} is not a hex key") from exc


def _create_key(path: Path) -> None:
    # Write a temp file then hard-link it into place: link fails if another process
    # won the race, and nobody ever reads a half-written key.
    # Random, not just the pid: two threads of one process may race too.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
