"""Secrets generated at first start in the embedded mode (mật khẩu sinh tự động), kept under data_dir.

Several worker processes may start at once: a secret is written to a private temporary file and
linked into place atomically, so every process reads the same complete value.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path


def _token() -> str:
    return secrets.token_urlsafe(32)


def read_or_create(path: Path, make: Callable[[], str] = _token) -> str:
    """The secret in `path`, written first (by whichever process gets there first) from `make()`."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(make())
        with contextlib.suppress(FileExistsError):  # another process got there first: theirs wins
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip()
