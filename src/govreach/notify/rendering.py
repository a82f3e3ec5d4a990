"""Find a message in the applicant's language and fill in its placeholders.

Messages come from the service pack (``packs/<id>/messages/<lang>.yaml``) or, when no pack is involved or
the pack lacks the id, from the platform (``govreach/notify/messages/<lang>.yaml``). The requested language
is read as a BCP 47 tag however it is spelt (``pt_BR``, ``pt-br`` -> ``pt-BR``, the messages files' name),
then falls back to its base language (``pt-BR`` -> ``pt``), then to English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from govreach.packs.messages import PLACEHOLDER, MessageTemplate

PLATFORM_MESSAGES_DIR = Path(__file__).resolve().parent  # holds messages/<lang>.yaml
PLATFORM_LANGUAGES = ("en", "bn", "pt", "pt-BR", "ko")


class MessageNotFound(LookupError):
    """No message with this id in the pack's messages nor in the platform's, in any fallback language."""


class MessageContextMissing(ValueError):
    """The message fills in placeholders the caller's context does not give."""


@dataclass(frozen=True)
class Rendered:
    """A message ready to send, and the language it was actually found in."""

    subject: str
    body: str
    language: str


@cache
def platform_messages() -> dict[str, dict[str, MessageTemplate]]:
    """The platform's messages by language then id, checked like a pack's (errors name file and line)."""
    from govreach.packs.loader import _PackBuilder
    from govreach.packs.messages import load_messages

    builder = _PackBuilder(PLATFORM_MESSAGES_DIR)
    messages = load_messages(builder, PLATFORM_MESSAGES_DIR, PLATFORM_LANGUAGES)
    if builder.problems:
        raise RuntimeError("the platform messages are broken:\n" + "\n".join(map(str, builder.problems)))
    return messages


def language_chain(language: str) -> list[str]:
    """``pt-br`` (or ``pt_BR``, ``pt-BR``) -> ``[pt-BR, pt, en]``: the languages to try, in order."""
    base, _, region = language.strip().replace("_", "-").partition("-")
    base = base.lower()
    tag = f"{base}-{region.upper()}" if region else base
    return list(dict.fromkeys([tag, base, "en"]))


def _pack_messages(pack_id: str) -> dict[str, dict[str, MessageTemplate]]:
    from govreach.catalogue.selectors import active_pack

    messages: dict[str, dict[str, MessageTemplate]] = active_pack(pack_id).messages
    return messages


def find_template(*, message_id: str, language: str, pack_id: str | None) -> tuple[MessageTemplate, str]:
    """The template for ``message_id`` and the language it is in; MessageNotFound naming where it looked."""
    sources: list[tuple[str, dict[str, dict[str, MessageTemplate]]]] = []
    if pack_id is not None:
        sources.append((f"pack '{pack_id}'", _pack_messages(pack_id)))
    sources.append(("the platform messages", platform_messages()))
    chain = language_chain(language)
    for _name, messages in sources:
        for lang in chain:
            template = messages.get(lang, {}).get(message_id)
            if template is not None:
                return template, lang
    known = sorted({mid for _n, messages in sources for texts in messages.values() for mid in texts})
    raise MessageNotFound(
        f"no message '{message_id}' in {' nor in '.join(n for n, _ in sources)} "
        f"(languages tried: {', '.join(chain)}); known ids: {', '.join(known)}"
    )


def fill(text: str, context: Mapping[str, Any]) -> str:
    """``text`` with each ``{name}`` replaced by ``context[name]``; MessageContextMissing names the gaps."""
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in context})
    if missing:
        raise MessageContextMissing(
            f"the message fills in {', '.join('{' + n + '}' for n in missing)}, "
            "which the context does not give"
        )
    return PLACEHOLDER.sub(lambda m: _display(context[m.group(1)]), text)


def _display(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def render(
    *, channel: str, message_id: str, language: str, context: Mapping[str, Any], pack_id: str | None = None
) -> Rendered:
    """The subject and body of ``message_id`` for ``channel`` in the best available language."""
    template, found_in = find_template(message_id=message_id, language=language, pack_id=pack_id)
    subject, body = template.text_for(channel)
    try:
        return Rendered(fill(subject, context).strip(), fill(body, context).strip(), found_in)
    except MessageContextMissing as exc:
        raise MessageContextMissing(f"message '{message_id}' ({found_in}): {exc}") from None
