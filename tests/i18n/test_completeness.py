"""Every interface string and every pack text exists in all five languages, with the same placeholders.

The interface catalogue is extracted afresh (``scripts/messages.py``, into a temporary folder), so a
string added to a template or to Python code without a translation fails here, not in front of a
citizen who reads only Bengali. Pack texts are complete when the loader finds no missing text.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog

from govreach.packs.loader import check_pack

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted(p for p in (ROOT / "packs").iterdir() if (p / "service.yaml").exists())
PACK_LANGUAGES = {"en", "pt", "pt-BR", "bn", "ko"}
LOCALES = ("pt", "pt_BR", "bn", "ko")
PRINTF = re.compile(r"%\((\w+)\)[sd]|%[sd]")
BRACES = re.compile(r"\{(\w[\w.]*)\}")
LEGAL_CITATION = re.compile(r"Decreto|Lei\s+n?\.?\s*\d|\bart\.|\bArt\.|§|\bLaw\s+No\b|\bAct,?\s+\d{4}")
MAX_WORDS = 25


def _messages_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("govreach_messages", ROOT / "scripts" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def messages() -> ModuleType:
    return _messages_script()


def _template(messages: ModuleType, folder: Path, locale_dir: Path) -> Catalog:
    """The interface strings of one catalogue as the code and templates are now, written and read back."""
    pot = folder / "django.pot"
    messages.write_catalog(messages.extract(locale_dir), pot)
    catalog: Catalog = messages.read_catalog(pot)
    return catalog


@pytest.fixture(scope="module")
def template(messages: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The project catalogue's strings (src/govreach/locale)."""
    return _template(messages, tmp_path_factory.mktemp("locale"), messages.LOCALE_DIR)


@pytest.fixture(scope="module")
def templates(messages: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Catalog]:
    """Every catalogue's strings: the project's and each app's own (src/govreach/<app>/locale)."""
    return {
        locale_dir: _template(messages, tmp_path_factory.mktemp("locale"), locale_dir)
        for locale_dir in messages.locale_dirs()
    }


def _po(messages: ModuleType, locale: str, locale_dir: Path | None = None) -> Catalog:
    path = messages.po_path(locale, locale_dir or messages.LOCALE_DIR)
    if not path.exists():
        return Catalog(locale=locale)
    catalog: Catalog = messages.read_catalog(path, locale)
    return catalog


def _key(message: Any) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return msgid, message.context


def test_the_extraction_finds_the_interface_strings(template: Catalog) -> None:
    ids = {_key(m)[0] for m in template if m.id}
    assert "Skip to the content" in ids  # src/govreach/web/texts.py
    assert len(ids) > 100


def _untranslated(template: Catalog, catalog: Catalog) -> list[str]:
    """The template's ids that ``catalog`` lacks, leaves empty (any plural form) or marks fuzzy."""
    translated = {_key(m): m for m in catalog if m.id}
    missing = []
    for message in template:
        if not message.id:
            continue
        found = translated.get(_key(message))
        strings = found.string if found is not None else None
        texts = list(strings) if isinstance(strings, tuple) else [strings]
        if found is None or found.fuzzy or not all(texts):
            missing.append(_key(message)[0])
    return missing


@pytest.mark.parametrize("locale", LOCALES)
def test_every_interface_string_is_translated(
    messages: ModuleType, templates: dict[Path, Catalog], locale: str
) -> None:
    for locale_dir, template in templates.items():
        missing = _untranslated(template, _po(messages, locale, locale_dir))
        where = locale_dir.relative_to(ROOT)
        assert not missing, (
            f"{len(missing)} strings of {where} without a {locale} translation: {missing[:10]}"
        )


def test_an_app_with_its_own_catalogue_keeps_its_strings_out_of_the_project_one(
    messages: ModuleType, templates: dict[Path, Catalog]
) -> None:
    apps = [d.parent.relative_to(ROOT) for d in templates if d != messages.LOCALE_DIR]
    for locale_dir, template in templates.items():
        wheres = [Path(where) for m in template if m.id for where, _ in m.locations]
        if locale_dir == messages.LOCALE_DIR:
            assert not [w for w in wheres if any(w.is_relative_to(app) for app in apps)]
        else:
            app = locale_dir.parent.relative_to(ROOT)
            assert all(w.is_relative_to(app) for w in wheres), (app, wheres)


def test_an_empty_or_fuzzy_translation_counts_as_missing() -> None:
    template = Catalog()
    template.add("Apply", None)
    template.add("Refuse", None)
    catalog = Catalog(locale="ko")
    catalog.add("Apply", "신청")
    catalog.add("Refuse", "")
    assert _untranslated(template, catalog) == ["Refuse"]
    catalog.add("Refuse", "거절", flags=["fuzzy"])
    assert _untranslated(template, catalog) == ["Refuse"]
    del catalog["Refuse"]
    catalog.add("Refuse", "거절")
    assert _untranslated(template, catalog) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(messages: ModuleType, locale: str) -> None:
    for locale_dir in messages.locale_dirs():
        po = messages.po_path(locale, locale_dir)
        mo = po.with_suffix(".mo")
        assert po.exists(), f"{po} is missing: run make messages and commit it"
        assert mo.exists(), f"{mo} is missing: run make messages and commit it"
        expected = messages.mo_bytes(_po(messages, locale, locale_dir))
        assert mo.read_bytes() == expected, f"{mo} is stale: run make messages"


@pytest.mark.parametrize("locale", LOCALES)
def test_interface_translations_keep_the_placeholders(messages: ModuleType, locale: str) -> None:
    wrong = []
    for message in (m for d in messages.locale_dirs() for m in _po(messages, locale, d)):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {frozenset(PRINTF.findall(str(i))) | frozenset(BRACES.findall(str(i))) for i in ids}
        for text in strings:
            if not text:
                continue
            got = frozenset(PRINTF.findall(str(text))) | frozenset(BRACES.findall(str(text)))
            # a language with one plural form may leave out the count in the singular-only id
            if got not in wanted and not any(got >= w for w in wanted):
                wrong.append((ids[0], text))
    assert not wrong, f"{locale}: placeholders differ from the English: {wrong[:5]}"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_every_pack_declares_the_five_languages_and_has_every_text(pack: Path) -> None:
    service = yaml.safe_load((pack / "service.yaml").read_text(encoding="utf-8"))
    assert set(service["languages"]) == PACK_LANGUAGES
    problems = check_pack(pack)
    assert not problems, "\n".join(f"{p.file}: {p.message}" for p in problems[:10])


def _language_texts(node: Any, at: str = "") -> list[tuple[str, dict[str, str]]]:
    """Every mapping of language -> text in a pack file, with where it is."""
    found: list[tuple[str, dict[str, str]]] = []
    if isinstance(node, dict):
        keys = set(node)
        if keys and keys <= PACK_LANGUAGES and all(isinstance(v, str) for v in node.values()):
            return [(at, node)]
        for key, value in node.items():
            found += _language_texts(value, f"{at}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _language_texts(value, f"{at}[{index}]")
    return found


def _pack_texts(pack: Path) -> list[tuple[str, dict[str, str]]]:
    texts = []
    for path in sorted(pack.rglob("*.yaml")):
        rel = path.relative_to(pack)
        if rel.parts[0] in {"tests", "data", "messages"}:
            continue
        texts += [
            (f"{rel}{at}", t) for at, t in _language_texts(yaml.safe_load(path.read_text(encoding="utf-8")))
        ]
    return texts


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_pack_texts_keep_the_same_placeholders_in_every_language(pack: Path) -> None:
    wrong = []
    for where, texts in _pack_texts(pack):
        names = {lang: set(BRACES.findall(text)) for lang, text in texts.items()}
        if len({frozenset(n) for n in names.values()}) > 1:
            wrong.append((where, names))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_explanations_are_short_sentences_without_legal_citations(pack: Path) -> None:
    """because/because_not speak to a citizen: the legal reference is linked separately, never quoted."""
    wrong = []
    for where, texts in _pack_texts(pack):
        if not re.search(r"\.because(_not)?$", where):
            continue
        english = texts["en"]
        for sentence in re.split(r"(?<=[.!?])\s+", english):
            if len(sentence.split()) > MAX_WORDS:
                wrong.append((where, f"{len(sentence.split())} words: {sentence}"))
        for text in texts.values():
            if LEGAL_CITATION.search(text):
                wrong.append((where, f"legal citation: {text}"))
    assert not wrong, wrong[:5]


def test_the_plain_language_check_can_fail() -> None:
    long_sentence = " ".join(["word"] * (MAX_WORDS + 1)) + "."
    assert len(long_sentence.split()) > MAX_WORDS
    assert LEGAL_CITATION.search("See Decreto-Lei 138-A/2010, art. 2.")


MESSAGE_FILES = sorted(ROOT.glob("packs/*/messages/*.yaml")) + sorted(
    (ROOT / "src" / "govreach" / "notify" / "messages").glob("*.yaml")
)


def _message_problems(path: Path) -> list[str]:
    """What in one messages file would not read as plain language: a sentence (or list line) of more than
    MAX_WORDS words in English, or a law quoted at the person in any language."""
    problems = []
    messages = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for message_id, channels in messages.items():
        for channel, text in channels.items():
            if LEGAL_CITATION.search(text):
                problems.append(f"{message_id}.{channel}: legal citation in {text[:80]!r}")
            if path.stem != "en":
                continue
            for sentence in re.split(r"(?<=[.!?:])\s+|\n+", text):
                if len(sentence.split()) > MAX_WORDS:
                    problems.append(f"{message_id}.{channel}: {len(sentence.split())} words: {sentence}")
    return problems


@pytest.mark.parametrize("path", MESSAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_messages_to_people_are_short_sentences_without_legal_citations(path: Path) -> None:
    """SMS, emails and letters speak to a person: short sentences; the law is on the linked page."""
    problems = _message_problems(path)
    assert not problems, problems[:5]


def test_the_message_check_finds_a_long_sentence_and_a_quoted_law(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    long_sentence = " ".join(["word"] * (MAX_WORDS + 1)) + "."
    path.write_text(
        yaml.safe_dump({"granted": {"sms": long_sentence, "email_body": "Under Decreto-Lei 138-A/2010."}}),
        encoding="utf-8",
    )
    assert len(_message_problems(path)) == 2
