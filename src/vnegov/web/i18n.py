"""Vietnamese first, English second (ngôn ngữ giao diện).

Message ids in templates and code are English; `locale/vi/LC_MESSAGES/messages.po` holds the
Vietnamese text. The .po files are compiled in memory at start, so no generated .mo file is
committed. The language of a request comes from `?lang=`, then the `lang` cookie, then the
default (Vietnamese).
"""

from __future__ import annotations

import contextvars
import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
LOCALE_DIR = Path(__file__).parent / "locale"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="vi")


@cache
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def pick(vi: str, en: str) -> str:
    """The Vietnamese or English form of a data value (names stored in both languages)."""
    return en if current_language.get() == "en" and en else vi


def negotiate(query_lang: str | None, cookie_lang: str | None, default: str = "vi") -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else "vi"
