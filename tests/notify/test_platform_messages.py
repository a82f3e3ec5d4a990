"""The platform's own messages (govreach/notify/messages) exist in all five languages, and a Brazilian
person reads Brazil's Portuguese, however their language tag is spelt."""

from __future__ import annotations

import pytest
import yaml

from govreach.notify.rendering import (
    PLATFORM_LANGUAGES,
    PLATFORM_MESSAGES_DIR,
    language_chain,
    platform_messages,
    render,
)
from govreach.packs.messages import PLACEHOLDER, SMS_MAX_CHARS

FOLDER = PLATFORM_MESSAGES_DIR / "messages"
LANGUAGES = ("en", "pt", "pt-BR", "bn", "ko")
# Values as long as real ones get: a long service title, a full tracking address.
CONTEXT = {
    "code": "ABCD2345",
    "minutes": 10,
    "operator": "Maria das Graças Albuquerque (CRAS Jaboatão Centro)",
    "reference": "BR-PREP-2026-000123",
    "stage": "documentos em análise",
    "date": "2026-12-31",
    "track_url": "https://govreach.example.org/feedback/complaints/status/",
    "service": "Jaboatão Prepara",
    "link": "https://govreach.example.org/feedback/rate/course/12345/",
}


def _read(language: str) -> dict[str, dict[str, str]]:
    data = yaml.safe_load((FOLDER / f"{language}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{language}.yaml is not a mapping of message ids"
    return data


def test_there_is_one_messages_file_per_platform_language() -> None:
    assert {p.stem for p in FOLDER.glob("*.yaml")} == set(LANGUAGES)
    assert set(PLATFORM_LANGUAGES) == set(LANGUAGES)
    assert set(platform_messages()) == set(LANGUAGES)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_english_message_exists_with_the_same_placeholders_on_each_channel(language: str) -> None:
    english, other = _read("en"), _read(language)
    assert set(other) == set(english), f"{language}.yaml lacks or adds: {set(other) ^ set(english)}"
    differing = [
        (message_id, field)
        for message_id, texts in english.items()
        for field, text in texts.items()
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(other[message_id].get(field, "")))
    ]
    assert differing == []


def test_the_brazilian_texts_are_not_a_copy_of_portugals() -> None:
    portugal, brazil = _read("pt"), _read("pt-BR")
    copied = [mid for mid in brazil if brazil[mid]["sms"] == portugal[mid]["sms"]]
    assert copied == []
    assert all("você" in brazil[mid]["email_body"].lower() for mid in ("consent_code", "login_code"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_filled_in_with_long_values_fits_in_two_segments(language: str) -> None:
    too_long = {}
    for message_id in _read("en"):
        body = render(channel="sms", message_id=message_id, language=language, context=CONTEXT).body
        if len(body) > SMS_MAX_CHARS:
            too_long[message_id] = len(body)
    assert too_long == {}


@pytest.mark.parametrize("spelling", ["pt-BR", "pt-br", "pt_BR", "pt_br", " PT-BR "])
def test_a_brazilian_person_gets_the_brazilian_text_however_the_tag_is_spelt(spelling: str) -> None:
    rendered = render(channel="sms", message_id="login_code", language=spelling, context=CONTEXT)
    assert rendered.language == "pt-BR"
    assert rendered.body.startswith("Seu código de acesso ao GovReach é ABCD2345.")
    assert language_chain(spelling) == ["pt-BR", "pt", "en"]


def test_portugal_and_other_regions_keep_their_own_fallbacks() -> None:
    portugal = render(channel="sms", message_id="login_code", language="pt", context=CONTEXT)
    assert (portugal.language, portugal.body[:30]) == ("pt", "O seu código de acesso GovReac")
    assert render(channel="sms", message_id="login_code", language="pt-PT", context=CONTEXT).language == "pt"
    assert render(channel="sms", message_id="login_code", language="bn_BD", context=CONTEXT).language == "bn"
    assert render(channel="sms", message_id="login_code", language="fr-CA", context=CONTEXT).language == "en"


def test_the_help_reply_names_the_keywords_brazilians_can_send() -> None:
    from govreach.entitlements.refusals import REFUSAL_WORDS
    from govreach.feedback.services import COMPLAINT_WORDS, RATING_WORDS

    body = render(channel="sms", message_id="inbound_help", language="pt-BR", context={}).body
    words = {w.strip(".,:;()'\"").upper() for w in body.split()}
    assert {"STATUS"} <= words
    assert words & set(REFUSAL_WORDS) and words & set(COMPLAINT_WORDS) and words & set(RATING_WORDS)
