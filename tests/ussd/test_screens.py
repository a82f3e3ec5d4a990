"""Every screen the menus can produce fits in 182 characters (``CON ``/``END `` included), in every
language; long lists are paged with ``9 More`` / ``0 Back``; every language has every text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from tests.feedback.factories import import_areas

from govreach.cases.models import Application
from govreach.catalogue.models import ServicePack
from govreach.entitlements.models import Entitlement
from govreach.registry.models import Person
from govreach.ussd.menus import (
    ELIGIBILITY_DONE,
    SCREEN_LIMIT,
    AreaOption,
    EntitlementOption,
    ServiceOption,
    State,
    StatusView,
    is_final,
    list_screen,
    paginate,
    render,
    step,
)
from govreach.ussd.questions import EligibilityAnswer, Questionnaire
from govreach.ussd.services import DatabaseContext
from govreach.ussd.texts import LANGUAGES, PLACEHOLDER, texts

from .conftest import BD_PACK, HOLDER_PHONE, PT_PACK, REFERENCE, TRACKING_CODE

# br-prepara is left out while its messages are being translated (it does not load in every language).
ALL_PACKS = (BD_PACK, PT_PACK, "kr-hyo-home-visits")
INPUTS = ("1", "2", "3", "4", "5", "8", "9", "0", "x", "", "31129999", "01011950", "99999999999")
STATUS_INPUTS = (REFERENCE, TRACKING_CODE, "2026123")
# Lisbon with a dozen parishes of long names: the area list of a complaint runs over several pages.
PT_AREAS = [
    ("PT", "Portugal", "country", ""),
    ("PT-11", "Lisboa (distrito)", "district", "PT"),
    ("PT-1106", "Lisboa", "municipality", "PT-11"),
    *[
        (
            f"PT-1106{i:02d}",
            f"União das Freguesias de Santa Maria Maior e São Vicente {i}",
            "parish",
            "PT-1106",
        )
        for i in range(12)
    ],
]


def _key(state: State) -> tuple[object, ...]:
    # Answers' values only change the result screen, which is checked for many answer sets below.
    return (state.node, state.language, state.page, state.target, len(state.answers), state.is_invalid)


def _explore(ctx: DatabaseContext, language: str) -> dict[tuple[object, ...], str]:
    """Every screen reachable from the main menu with the inputs above, by state, breadth first."""
    seen: dict[tuple[object, ...], str] = {}
    queue = [State(language=language)]
    while queue:
        state = queue.pop(0)
        if _key(state) in seen:
            continue
        seen[_key(state)] = render(state, ctx).reply
        if is_final(state, ctx):
            continue
        for raw in INPUTS + STATUS_INPUTS:
            queue.append(step(state, raw, ctx))
    return seen


def _answer_sets(questionnaire: Questionnaire) -> list[tuple[str, ...]]:
    """Answers that drive each result: all first choices, all second, mixed, extreme numbers and dates."""
    per_question: list[Sequence[str]] = []
    for q in questionnaire.questions:
        if q.type in ("boolean",):
            per_question.append(("1", "2"))
        elif q.type == "text":
            per_question.append(tuple(str(i) for i in range(1, len(q.choices) + 1))[:3])
        elif q.type == "date":
            per_question.append(("01011950", "31122025"))
        else:
            per_question.append(("0", "99999999999"))
    sets = [tuple(c[0] for c in per_question), tuple(c[-1] for c in per_question)]
    sets += [tuple(c[i % len(c)] for i, c in enumerate(per_question))]
    sets += [tuple(c[(i + 1) % len(c)] for i, c in enumerate(per_question))]
    return sets


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_fits_in_182_characters(
    language: str,
    load_packs: Callable[..., list[ServicePack]],
    application: Application,
    entitlements: list[Entitlement],
) -> None:
    load_packs(*ALL_PACKS)
    parishes = import_areas(PT_AREAS)
    # The holder lives in a parish (the complaint's area on record); their tariffs are services to rate.
    Person.objects.filter(phone=HOLDER_PHONE).update(area=parishes["PT-110600"])
    ctx = DatabaseContext(phone=HOLDER_PHONE, state={}, session_id="explore")

    screens = _explore(ctx, language)
    for option in ctx.services(language):
        questionnaire = ctx.questionnaire(option.pack_id)
        assert questionnaire is not None
        for answers in _answer_sets(questionnaire):
            state = State(node=ELIGIBILITY_DONE, language=language, target=option.pack_id, answers=answers)
            screens[("result", option.pack_id, answers)] = render(state, ctx).reply

    nodes = {key[0] for key in screens}
    assert {"main", "language", "status_done", "services", "intro", "question", "result"} <= nodes
    assert {"refuse_list", "refuse_confirm", "refuse_done"} <= nodes
    assert {"complain_category", "complain_area", "complain_area_list", "complain_text"} <= nodes
    assert {"complain_confirm", "complain_done", "rate_ask", "rate_comment", "rate_done"} <= nodes
    assert any(key[0] == "complain_area_list" and key[2] > 0 for key in screens)  # a second page
    assert len(ctx.services(language)) == len(ALL_PACKS)  # every pack has questions a keypad can answer
    too_long = {str(k): (len(v), v) for k, v in screens.items() if len(v) > SCREEN_LIMIT}
    assert not too_long
    assert all(v.startswith(("CON ", "END ")) for v in screens.values())


class _ManyServices:
    """A context with many long-titled services, to make lists run over several pages."""

    def __init__(self, count: int) -> None:
        self.options = [
            ServiceOption(f"p{i}", f"Service number {i} with a long, long title") for i in range(count)
        ]

    def services(self, language: str) -> list[ServiceOption]:
        return self.options

    def questionnaire(self, pack_id: str) -> Questionnaire | None:
        return Questionnaire(pack_id, {"en": "T"}, (), ())

    def decide(self, pack_id: str, answers: Sequence[str], language: str) -> EligibilityAnswer:
        return EligibilityAnswer("yes", "", False)

    def status(self, reference: str, secret: str, language: str) -> StatusView | None:
        return None

    def entitlements(self, language: str) -> list[EntitlementOption]:
        return []

    def refuse(self, entitlement_id: str) -> str:
        raise AssertionError("no refusal here")

    def categories(self, language: str) -> list[tuple[str, str]]:
        return []

    def home_area(self) -> None:
        return None

    def area_start(self) -> str:
        return ""

    def areas(self, parent: str) -> list[AreaOption]:
        return []

    def area(self, code: str) -> None:
        return None

    def area_parent(self, code: str) -> str:
        return ""

    def complain(self, category: str, area: str, text: str, language: str) -> None:
        raise AssertionError("no complaint here")

    def rate_target(self, language: str) -> None:
        return None

    def rate(self, kind: str, key: str, score: int, comment: str) -> str:
        raise AssertionError("no rating here")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_list_is_paged_with_9_more_and_0_back(language: str) -> None:
    ctx = _ManyServices(25)
    state = step(State(language=language), "2", ctx)
    pages = paginate(texts(language)["services_title"], [o.title for o in ctx.options], language)
    shown: list[str] = []

    for page in range(len(pages)):
        screen = render(state, ctx).reply
        lines = screen.splitlines()
        assert len(screen) <= SCREEN_LIMIT and screen.startswith("CON ")
        assert lines[-1] == f"0 {texts(language)['back']}"
        if page < len(pages) - 1:
            assert lines[-2] == f"9 {texts(language)['more']}"
            shown += lines[1:-2]
            state = step(state, "9", ctx)
        else:
            shown += lines[1:-1]
    back = step(state, "0", ctx)

    assert len(pages) > 2 and len(shown) == 25
    assert back.page == state.page - 1
    # Choosing "1" on the last page picks that page's first item, not the list's.
    chosen = step(state, "1", ctx)
    assert chosen.node == "intro" and chosen.target == f"p{pages[-1][0]}"


def test_a_single_overlong_item_still_fits() -> None:
    screen = list_screen(State(), "A heading " * 30, ["x" * 500] * 3).reply

    assert len(screen) <= SCREEN_LIMIT and screen.endswith("0 Back")


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_every_text_with_the_same_placeholders(language: str) -> None:
    english = texts("en")
    other = texts(language)

    assert set(other) == set(english)
    for key, value in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(value)), key


def test_every_text_is_short_enough_to_leave_room_for_options() -> None:
    longest = max((len(v), lang, k) for lang in LANGUAGES for k, v in texts(lang).items())

    assert longest[0] <= 130, longest
