"""The sensor's messages in the reader's language, without Django: the standard library's
gettext reads the platform's own catalogues (`vigie/locale/*/LC_MESSAGES/django.mo`), so a
sentence is translated once for both. The language comes from LANGUAGE, LC_ALL,
LC_MESSAGES or LANG, as for any command-line tool."""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

__all__ = ["gettext", "language", "ngettext"]

_LOCALE = Path(__file__).resolve().parent.parent / "locale"
_catalogue = _gettext.translation("django", localedir=_LOCALE, fallback=True)


def gettext(message: str) -> str:
    return _catalogue.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalogue.ngettext(singular, plural, count)


def language() -> str:
    """The language messages are shown in (`fr`, or `en` when no catalogue applies): the
    sensor asks the platform for the same one (collection titles, error messages)."""
    found = _catalogue.info().get("language", "") if hasattr(_catalogue, "info") else ""
    return found.split("_")[0].lower() or "en"
