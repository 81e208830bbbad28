"""The languages of Case Management: English (the source, the msgids) and German (a .po catalogue).

The catalogue is read once, at import, from `locale/de/LC_MESSAGES/messages.po` (no compiled .mo file, no
build step). A request's language is the member's choice kept in the session cookie (`lang`, set by the
picker), else the best of `Accept-Language`, else English. Rendering runs in one thread per request, so the
language of the page being rendered is a context variable that the template's gettext callables read: the
Jinja environment is shared by concurrent requests and must not hold one request's translations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from arabesque.web._session import session_of

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "format_count",
    "format_when",
    "gettext",
    "language",
    "locale_of",
    "ngettext",
    "translations_for",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
# The picker's choices, each named in its own language.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
# The dates of every page: day, month and time, in UTC and saying so (English as it was before the catalogue).
_DATE_PATTERNS = {"en": "dd MMM yyyy HH:mm", "de": "dd. MMM yyyy HH:mm"}
_MAX_ACCEPT_LANGUAGE = 512  # a hostile header costs bounded work


def _load(code: str) -> NullTranslations:
    """The .po catalogue of `code` as gettext translations, compiled in memory (fuzzy entries, guesses awaiting
    review, are left out: English until someone confirms them)."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


_TRANSLATIONS: dict[str, NullTranslations] = {"en": NullTranslations(), "de": _load("de")}
_current: ContextVar[str] = ContextVar("arabesque_web_language", default=DEFAULT)


def translations_for(code: str) -> NullTranslations:
    return _TRANSLATIONS.get(code, _TRANSLATIONS[DEFAULT])


def _from_accept_language(header: str) -> str | None:
    """The supported language the header prefers most (`de-CH;q=0.8` counts as `de`), if any."""
    best: tuple[float, str] | None = None
    for part in header[:_MAX_ACCEPT_LANGUAGE].split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        code = tag.strip().split("-")[0].lower()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if code in LANGUAGES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, code)
    return best[1] if best else None


def locale_of(request: Request) -> str:
    """The language of `request`: the picker's choice, else `Accept-Language`, else English."""
    chosen = session_of(request).get("lang")
    if isinstance(chosen, str) and chosen in LANGUAGES:
        return chosen
    return _from_accept_language(request.headers.get("accept-language", "")) or DEFAULT


@contextmanager
def language(code: str) -> Iterator[None]:
    """Render in `code` within the block (the template callables and filters read it)."""
    token = _current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations_for(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(_current.get()).ngettext(singular, plural, n)


def format_when(value: datetime) -> str:
    """An aware datetime as the current language writes it, in UTC and saying so."""
    code = _current.get()
    return format_datetime(value.astimezone(UTC), _DATE_PATTERNS[code], tzinfo=UTC, locale=Locale.parse(code)) + " UTC"


def format_count(value: object) -> str:
    """A count (or any number) with the current language's grouping; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return format_decimal(value, locale=_current.get())
