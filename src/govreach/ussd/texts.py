"""The words on USSD screens, per language, from ``texts/<lang>.yaml``; and which language a code means.

Pure: no Django. Every language file has the same keys and the same ``{name}`` placeholders.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
LANGUAGES = ("en", "pt", "pt-BR", "bn", "ko")
DEFAULT_LANGUAGE = "en"
#: Each language named in itself, as the language menu shows it.
LANGUAGE_NAMES = {
    "en": "English",
    "pt": "Português",
    "pt-BR": "Português (Brasil)",
    "bn": "বাংলা",
    "ko": "한국어",
}
#: The language a country's people are served in first (ISO 3166 alpha-2).
COUNTRY_LANGUAGES = {"PT": "pt", "BR": "pt-BR", "BD": "bn", "KR": "ko"}
#: Calling codes of those countries, longest first where they could overlap.
CALLING_CODES = (("+880", "BD"), ("+351", "PT"), ("+55", "BR"), ("+82", "KR"))
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def texts(language: str) -> dict[str, str]:
    """Every text of ``language`` (one of LANGUAGES) by key."""
    data = yaml.safe_load((TEXTS_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{language}.yaml is not a mapping of texts")
    return {str(k): str(v) for k, v in data.items()}


def text(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` with its placeholders filled in."""
    template = texts(language)[key]
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def date_text(language: str, day: dt.date) -> str:
    """A date as people of ``language`` write it (``05/03/2026``, ``2026.03.05``)."""
    return day.strftime(texts(language)["date_format"])


def language_canonical(code: str | None) -> str | None:
    """``pt-br``/``pt_BR`` -> ``pt-BR``; ``pt-PT`` -> ``pt``; a language GovReach does not speak -> None."""
    if not code:
        return None
    cleaned = code.strip().replace("_", "-").lower()
    for language in LANGUAGES:
        if cleaned == language.lower():
            return language
    base = cleaned.split("-")[0]
    return base if base in LANGUAGES else None


def country_of_phone(phone: str) -> str | None:
    """The country of an E.164 number among those GovReach serves, or None."""
    for prefix, country in CALLING_CODES:
        if phone.startswith(prefix):
            return country
    return None
