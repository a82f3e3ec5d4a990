"""Extract, update and compile GovReach's interface catalogues without GNU gettext (``make messages``).

Django's ``makemessages`` needs xgettext; this does the same in pure Python with Babel:
- extract: every ``gettext``/``gettext_lazy``/``_``/``ngettext``/``pgettext`` call in ``src/govreach``
  and every ``{% translate %}``/``{% blocktranslate %}`` in its templates (templates go through
  Django's own ``templatize``, the step ``makemessages`` uses, then Babel's Python extractor);
- update: merge the template into ``src/govreach/locale/<locale>/LC_MESSAGES/django.po`` for each
  locale (new ids come in empty, vanished ids are dropped, translations are kept);
- an app with a ``locale`` folder of its own (``src/govreach/<app>/locale/``) keeps its strings there,
  in a catalogue of its own, which Django finds by itself: teams working on different apps never edit the
  same catalogue;
- compile: write ``django.mo`` next to each ``.po`` (fuzzy and empty entries are left out, as msgfmt does).

Usage: ``python scripts/messages.py [extract|update|compile|all]`` (default ``all``).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "govreach"
LOCALE_DIR = SOURCE / "locale"
# Django's locale names (to_locale): pt-br -> pt_BR. English is the source language.
LOCALES = ("pt", "pt_BR", "bn", "ko")
KEYWORDS = ("_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy")
CONTEXT_KEYWORDS = ("pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy")
SKIP_DIRS = {"locale", "migrations", "__pycache__"}
CREATION_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def app_locale_dirs() -> list[Path]:
    """The ``locale`` folders of the apps that keep a catalogue of their own."""
    return sorted(p for p in SOURCE.glob("*/locale") if p.is_dir())


def locale_dirs() -> list[Path]:
    """Every catalogue's folder: the project's, then each app's own."""
    return [LOCALE_DIR, *app_locale_dirs()]


def _files(suffix: str, locale_dir: Path = LOCALE_DIR) -> Iterator[Path]:
    """The source files whose strings belong to the catalogue in ``locale_dir``."""
    root = SOURCE if locale_dir == LOCALE_DIR else locale_dir.parent
    own_apps = {p.parent for p in app_locale_dirs()} - {root}
    for path in sorted(root.rglob(f"*{suffix}")):
        if SKIP_DIRS.intersection(path.relative_to(root).parts):
            continue
        if any(path.is_relative_to(app) for app in own_apps):
            continue  # that app keeps its strings in its own catalogue
        yield path


Message = tuple[int, str | tuple[str, str], str | None, list[str]]


def _python_messages(code: str) -> Iterator[Message]:
    """(line, msgid or (singular, plural), context, comments) of each translatable call in ``code``."""
    keywords: dict[str, Any] = dict.fromkeys(KEYWORDS + CONTEXT_KEYWORDS)
    found = extract_python(io.BytesIO(code.encode("utf-8")), keywords, [], {"encoding": "utf-8"})
    for lineno, funcname, messages, comments in found:
        args: list[Any] = list(messages) if isinstance(messages, tuple) else [messages]
        context = None
        if funcname in CONTEXT_KEYWORDS:
            context, args = args[0], args[1:]
        if not args or not all(isinstance(a, str) and a for a in args[:2]):
            continue  # a call with a variable, not a literal: nothing to extract
        msgid: str | tuple[str, str] = (args[0], args[1]) if len(args) >= 2 else args[0]
        yield lineno, msgid, context, [str(c) for c in comments or ()]


def extract(locale_dir: Path = LOCALE_DIR) -> Catalog:
    """The catalogue template of ``locale_dir``: every interface string of its Python code and templates."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=True)
    from django.utils.translation.template import templatize

    # A fixed creation date and no source locations in the .po files: regenerating a catalogue changes
    # only the strings, so two branches that each add strings merge without conflicts.
    catalog = Catalog(project="GovReach", charset="utf-8", fuzzy=False, creation_date=CREATION_DATE)
    sources: list[tuple[Path, str]] = [(p, p.read_text(encoding="utf-8")) for p in _files(".py", locale_dir)]
    sources += [
        (p, templatize(p.read_text(encoding="utf-8"), origin=str(p))) for p in _files(".html", locale_dir)
    ]
    for path, code in sources:
        where = str(path.relative_to(ROOT))
        for lineno, msgid, context, comments in _python_messages(code):
            catalog.add(msgid, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / "django.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=100,
            omit_header=False,
            sort_output=True,
            ignore_obsolete=True,
            no_location=path.suffix == ".po",
        )


def update(template: Catalog, locale_dir: Path = LOCALE_DIR) -> None:
    """Merge ``template`` into every locale's .po, keeping the translations already made."""
    for locale in LOCALES:
        path = po_path(locale, locale_dir)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(locale=locale, project="GovReach", charset="utf-8", fuzzy=False)
        # no fuzzy matching: a near-miss guess is worse than an honest gap the test reports
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write_catalog(catalog, path)


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for locale_dir in locale_dirs():
        for locale in LOCALES:
            path = po_path(locale, locale_dir)
            if path.exists():
                path.with_suffix(".mo").write_bytes(mo_bytes(read_catalog(path, locale)))


def main(argv: list[str]) -> int:
    step = argv[1] if len(argv) > 1 else "all"
    if step not in {"extract", "update", "compile", "all"}:
        print(__doc__, file=sys.stderr)
        return 2
    if step in {"extract", "update", "all"}:
        for locale_dir in locale_dirs():
            template = extract(locale_dir)
            if step == "extract":
                write_catalog(template, locale_dir / "django.pot")
            else:
                update(template, locale_dir)
            print(f"{locale_dir.relative_to(ROOT)}: {len(template)} interface strings")
    if step in {"compile", "all"}:
        compile_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
