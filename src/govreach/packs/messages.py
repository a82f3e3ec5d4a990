"""``messages/<lang>.yaml``: what the service tells people, per language, on each channel.

One file per language of the pack, each a mapping ``message_id -> {sms, email_subject, email_body,
letter_body?}``. Texts fill in values with ``{name}`` placeholders (``{reference}``, ``{date}``...).
Every language has the same message ids and the same placeholders, so no reader misses a fact.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder

SMS_MAX_CHARS = 306  # two concatenated GSM-7 segments of 153 characters
_MESSAGE_ID = re.compile(r"[a-z][a-z0-9_]*")
MessageId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_Text = Annotated[str, StringConstraints(min_length=1)]

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Anything that looks like a placeholder or a stray brace; each match must be a well-formed {name}.
_PLACEHOLDER_LIKE = re.compile(r"\{\{|\}\}|%\([^)]*\)[a-z]|%[sd]|\$\{[^}]*\}|\{[^{}]*\}|[{}]")
_PLACEHOLDER_FIX = (
    "write a placeholder as {name} in single braces, lower-case letters, digits and _, e.g. {reference}"
)
_FIELDS = ("sms", "email_subject", "email_body", "letter_body")


class MessageTemplate(BaseModel):
    """One message in one language: the text for each channel, with ``{name}`` placeholders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sms: _Text = Field(description=f"The SMS text; at most {SMS_MAX_CHARS} characters (two SMS segments).")
    email_subject: _Text = Field(description="Subject line of the email.")
    email_body: _Text = Field(description="Body of the email, plain text.")
    letter_body: _Text | None = Field(
        None, description="Body of a posted letter; the email body is used when left out."
    )

    def text_for(self, channel: str) -> tuple[str, str]:
        """(subject, body) to send on ``channel`` (sms, email or letter); an SMS has no subject."""
        if channel == "sms":
            return "", self.sms
        if channel == "email":
            return self.email_subject, self.email_body
        if channel == "letter":
            return self.email_subject, self.letter_body or self.email_body
        raise ValueError(f"unknown channel '{channel}': use sms, email or letter")

    def placeholders(self) -> set[str]:
        """Every name the texts fill in."""
        return {m for f in _FIELDS for m in PLACEHOLDER.findall(getattr(self, f) or "")}


def file_schema() -> dict[str, Any]:
    """The JSON Schema of one ``messages/<lang>.yaml`` file (published by ``govreach packs schema``)."""
    return TypeAdapter(dict[MessageId, MessageTemplate]).json_schema(by_alias=True)


def bad_placeholders(text: str) -> list[str]:
    """The placeholder-like pieces of ``text`` that are not a well-formed ``{name}``."""
    return [m.group(0) for m in _PLACEHOLDER_LIKE.finditer(text) if not PLACEHOLDER.fullmatch(m.group(0))]


def load_messages(
    builder: _PackBuilder, path: Path, languages: tuple[str, ...]
) -> dict[str, dict[str, MessageTemplate]]:
    """Messages by language then id; problems go on ``builder``. No messages/ folder: no messages.

    A problem is reported for a pack language without a file, a file for a language the pack does not
    declare, an id missing in one language, an unknown field, a malformed placeholder, a placeholder
    used in one language only, and an SMS longer than two segments.
    """
    from govreach.packs.loader import _pydantic_problems

    folder = path / "messages"
    if not folder.is_dir():
        return {}
    messages: dict[str, dict[str, MessageTemplate]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        lang = entry.stem
        if entry.suffix != ".yaml" or lang not in languages:
            builder.problem(
                f"messages/{entry.name}",
                (),
                f"not a messages file of this pack (its languages: {', '.join(languages)})",
                f"name the files messages/<language>.yaml, one of {', '.join(languages)}, "
                "or add the language to service.yaml",
            )
    for lang in languages:
        file = f"messages/{lang}.yaml"
        if not (folder / f"{lang}.yaml").exists():
            builder.problem(
                file,
                (),
                f"no messages in {lang}, a language of the pack",
                f"create {file} with the same message ids as the other languages",
            )
            continue
        located = builder.load(file, required=False)
        if located is None:
            continue  # a YAML syntax error, already reported
        if located.data is None:
            messages[lang] = {}
            continue
        if not isinstance(located.data, dict):
            builder.problem(file, (), "expected a mapping of message ids", "write message_id: {sms, ...}")
            continue
        templates: dict[str, MessageTemplate] = {}
        for message_id, raw in located.data.items():
            if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
                builder.problem(
                    file, (str(message_id),), f"'{message_id}' is not a message id",
                    "use lower-case words joined by _, e.g. application_received",
                )  # fmt: skip
                continue
            try:
                template = MessageTemplate.model_validate(raw)
            except ValidationError as exc:
                builder.problems.extend(
                    _pydantic_problems(exc, f"{path.name}/{file}", located, MessageTemplate, (message_id,))
                )
                continue
            for name in _FIELDS:
                text = getattr(template, name)
                if text is None:
                    continue
                for bad in bad_placeholders(text)[:1]:
                    builder.problem(
                        file, (message_id, name), f"unknown placeholder style '{bad}'", _PLACEHOLDER_FIX
                    )
            if len(template.sms) > SMS_MAX_CHARS:
                builder.problem(
                    file,
                    (message_id, "sms"),
                    f"the SMS has {len(template.sms)} characters, "
                    f"more than {SMS_MAX_CHARS} (two SMS segments)",
                    "shorten it: say what happened and what to do next; details belong in the email",
                )
            templates[message_id] = template
        messages[lang] = templates
    _check_languages_agree(builder, messages)
    return messages


def _check_languages_agree(builder: _PackBuilder, messages: dict[str, dict[str, MessageTemplate]]) -> None:
    every_id = sorted({mid for templates in messages.values() for mid in templates})
    for message_id in every_id:
        having = [lang for lang, templates in messages.items() if message_id in templates]
        for lang, templates in messages.items():
            if message_id not in templates:
                builder.problem(
                    f"messages/{lang}.yaml",
                    (),
                    f"no message '{message_id}' in {lang} ({', '.join(having)} has it)",
                    f"add {message_id}: {{sms, email_subject, email_body}} to messages/{lang}.yaml",
                )
        filled = {lang: messages[lang][message_id].placeholders() for lang in having}
        every_name = set().union(*filled.values())
        for lang in having:
            lacking = sorted(every_name - filled[lang])
            if lacking:
                others = [other for other in having if set(lacking) & filled[other]]
                builder.problem(
                    f"messages/{lang}.yaml",
                    (message_id,),
                    f"the {lang} text never fills in {', '.join('{' + n + '}' for n in lacking)}, "
                    f"which {', '.join(others)} does",
                    "use the same placeholders in every language, or fix the spelling of one",
                )
