"""Vietnamese text helpers (xử lý văn bản tiếng Việt).

`fold` makes search insensitive to case and diacritics in the application, not the database,
so SQLite and PostgreSQL give the same answers: "Đà Nẵng", "da nang" and "DA NANG" all fold to
"da nang". Unicode NFD does not decompose đ/Đ (they are letters, not d + mark), hence the mapping.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def nfc(text: str) -> str:
    """Normalise to NFC (TCVN 6909:2001 text is stored composed)."""
    return unicodedata.normalize("NFC", text)
