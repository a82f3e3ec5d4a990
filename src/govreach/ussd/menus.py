"""The USSD menus as a pure state machine: the screen is a function of the inputs and the context.

``walk`` folds the person's inputs (the gateway's ``text`` split on ``*``) from the main menu, so a
retried or out-of-order request is answered from the whole path, never from what came before it. The
context supplies what the menus read (services, statuses, entitlements, areas, the service to rate) and
the writes (a refusal, a grievance, a rating), each idempotent. Every screen, ``CON ``/``END ``
included, fits in 182 characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from govreach.packs.loader import text_in
from govreach.rules.model import BOOLEAN, DATE, TEXT
from govreach.ussd.questions import EligibilityAnswer, Question, Questionnaire
from govreach.ussd.texts import LANGUAGE_NAMES, LANGUAGES, date_text, text, texts

SCREEN_LIMIT = 182  # characters a handset shows on one USSD screen
BODY_LIMIT = SCREEN_LIMIT - len("CON ")
ITEM_LIMIT = 40  # characters of one numbered option
LIST_HEAD_LIMIT = 60
PAGE_ITEMS = 8  # 1-8 choose, 9 More, 0 Back

MAIN = "main"
LANGUAGE = "language"
STATUS_REFERENCE = "status_reference"
STATUS_SECRET = "status_secret"  # noqa: S105 - a menu node, not a secret
STATUS_DONE = "status_done"
SERVICES = "services"
INTRO = "intro"
QUESTION = "question"
ELIGIBILITY_DONE = "eligibility_done"
REFUSE_LIST = "refuse_list"
REFUSE_CONFIRM = "refuse_confirm"
REFUSE_DONE = "refuse_done"
COMPLAIN_CATEGORY = "complain_category"
COMPLAIN_AREA = "complain_area"  # the area on the caller's record, or another
COMPLAIN_AREA_LIST = "complain_area_list"  # browsing the areas below ``target``
COMPLAIN_TEXT = "complain_text"
COMPLAIN_CONFIRM = "complain_confirm"
COMPLAIN_DONE = "complain_done"
RATE_ASK = "rate_ask"
RATE_COMMENT = "rate_comment"
RATE_DONE = "rate_done"
FINAL_NODES = frozenset({STATUS_DONE, ELIGIBILITY_DONE, REFUSE_DONE, COMPLAIN_DONE, RATE_DONE})
#: The longest complaint or comment typed on a keypad (one USSD reply holds at most 182 characters).
TYPED_TEXT_LIMIT = 160


@dataclass(frozen=True)
class Screen:
    """What the handset shows; ``is_final`` ends the session (``END``), else it waits for input."""

    body: str
    is_final: bool

    @property
    def reply(self) -> str:
        return ("END " if self.is_final else "CON ") + self.body


@dataclass(frozen=True)
class State:
    """Where the person is: a menu node, the language, the list page, what was chosen and answered."""

    node: str = MAIN
    language: str = "en"
    page: int = 0
    target: str = ""  # a pack id, an application reference, an entitlement id or an area code
    # Eligibility: the answers. Complaint: category, area code, text. Rating: score, comment.
    answers: tuple[str, ...] = ()
    is_invalid: bool = False  # the last input was not a valid choice: say so on the same screen


@dataclass(frozen=True)
class ServiceOption:
    pack_id: str
    title: str


@dataclass(frozen=True)
class EntitlementOption:
    entitlement_id: str
    title: str
    supply_point_tail: str


@dataclass(frozen=True)
class StatusView:
    reference: str
    stage: str
    since: dt.date
    due_on: dt.date | None
    decided_on: dt.date | None


@dataclass(frozen=True)
class AreaOption:
    code: str
    name: str
    has_children: bool


@dataclass(frozen=True)
class ComplaintView:
    """A grievance filed: its reference and the day an answer is due."""

    reference: str
    due_on: dt.date


@dataclass(frozen=True)
class RateOption:
    """The caller's completed service to rate: what it is (kind, key) and how to name it on a screen."""

    kind: str
    key: str
    title: str
    label: str


class Context(Protocol):
    """What the menus read, and the writes they may make (each idempotent); implemented over the database."""

    def services(self, language: str) -> list[ServiceOption]: ...

    def questionnaire(self, pack_id: str) -> Questionnaire | None: ...

    def decide(self, pack_id: str, answers: Sequence[str], language: str) -> EligibilityAnswer: ...

    def status(self, reference: str, secret: str, language: str) -> StatusView | None: ...

    def entitlements(self, language: str) -> list[EntitlementOption]: ...

    def refuse(self, entitlement_id: str) -> str:
        """Record the refusal (idempotent); ``refused``, ``ended`` or ``not_allowed``."""
        ...

    def categories(self, language: str) -> list[tuple[str, str]]:
        """The grievance categories: (id, label in ``language``)."""
        ...

    def home_area(self) -> AreaOption | None:
        """The area on the caller's record, if GovReach has one."""
        ...

    def area_start(self) -> str:
        """Where choosing an area starts: the caller's country's area code, or "" (the top areas)."""
        ...

    def areas(self, parent: str) -> list[AreaOption]:
        """The areas right below ``parent`` ("": the top areas), as the menu lists them."""
        ...

    def area(self, code: str) -> AreaOption | None: ...

    def area_parent(self, code: str) -> str:
        """The code of the area above ``code`` ("" at the top)."""
        ...

    def complain(self, category: str, area: str, text: str, language: str) -> ComplaintView | None:
        """File the grievance (once per session and content); None when it cannot be filed."""
        ...

    def rate_target(self, language: str) -> RateOption | None:
        """The caller's most recently completed service not rated yet (the same all session long)."""
        ...

    def rate(self, kind: str, key: str, score: int, comment: str) -> str:
        """Record the rating (idempotent); ``rated``, ``already`` or ``not_allowed``."""
        ...


# ---------------------------------------------------------------------------------------------------
# Screen layout


def clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: max(0, limit - 1)].rstrip() + "…"


def compose(head: str, lines: Sequence[str] = (), *, is_final: bool = False) -> Screen:
    """A screen of ``head`` (shortened to fit) and then ``lines`` (options, always shown whole)."""
    tail = "\n".join(lines)
    room = BODY_LIMIT - (len(tail) + 1 if tail else 0)
    body = clip(head, room) + ("\n" + tail if tail else "")
    return Screen(body, is_final)


def _option(number: int | str, label: str) -> str:
    return f"{number} {clip(label, ITEM_LIMIT)}"


def paginate(head: str, labels: Sequence[str], language: str) -> list[tuple[int, int]]:
    """The (start, end) item slices of each page: as many items as fit with ``9 More`` and ``0 Back``."""
    fixed = len(clip(head, LIST_HEAD_LIMIT)) + len(_more(language)) + len(_back(language)) + 2
    pages: list[tuple[int, int]] = []
    start = 0
    while start < len(labels):
        end, size = start, fixed
        while end < len(labels) and end - start < PAGE_ITEMS:
            size += len(_option(end - start + 1, labels[end])) + 1
            if size > BODY_LIMIT and end > start:
                break
            end += 1
        pages.append((start, end))
        start = end
    return pages or [(0, 0)]


def _more(language: str) -> str:
    return f"9 {text(language, 'more')}"


def _back(language: str) -> str:
    return f"0 {text(language, 'back')}"


def _invalid(state: State, head: str) -> str:
    return f"{text(state.language, 'invalid')} {head}" if state.is_invalid else head


def list_screen(state: State, head: str, labels: Sequence[str]) -> Screen:
    pages = paginate(head, labels, state.language)
    start, end = pages[min(state.page, len(pages) - 1)]
    lines = [_option(i - start + 1, labels[i]) for i in range(start, end)]
    if state.page < len(pages) - 1:
        lines.append(_more(state.language))
    lines.append(_back(state.language))
    return compose(_invalid(state, clip(head, LIST_HEAD_LIMIT)), lines)


def list_choice(state: State, head: str, labels: Sequence[str], raw: str) -> int | State | None:
    """The index chosen on the current page, a new State (another page, or back: None), or invalid."""
    pages = paginate(head, labels, state.language)
    page = min(state.page, len(pages) - 1)
    start, end = pages[page]
    if raw == "9" and page < len(pages) - 1:
        return replace(state, page=page + 1, is_invalid=False)
    if raw == "0":
        return replace(state, page=page - 1, is_invalid=False) if page > 0 else None
    if raw.isdigit() and 1 <= int(raw) <= end - start:
        return start + int(raw) - 1
    return replace(state, is_invalid=True)


# ---------------------------------------------------------------------------------------------------
# Moving between screens


def walk(inputs: Sequence[str], ctx: Context, *, language: str) -> State:
    """The state after the person keyed ``inputs`` one after the other from the main menu."""
    state = State(language=language)
    for raw in inputs:
        state = step(state, raw.strip(), ctx)
    return state


def is_final(state: State, ctx: Context) -> bool:
    if state.node in FINAL_NODES:
        return True
    if state.node == SERVICES:
        return not ctx.services(state.language)
    if state.node == REFUSE_LIST:
        return not ctx.entitlements(state.language)
    if state.node == COMPLAIN_CATEGORY:
        return not ctx.categories(state.language)
    if state.node == COMPLAIN_AREA_LIST:
        return not _area_options(state, ctx)
    if state.node == RATE_ASK:
        return ctx.rate_target(state.language) is None
    return False


def step(state: State, raw: str, ctx: Context) -> State:
    """The state after one input; an input a screen does not accept keeps the screen, marked invalid."""
    if is_final(state, ctx):
        return state  # an ended session ignores anything a gateway still sends
    node = state.node
    home = State(language=state.language)
    invalid = replace(state, is_invalid=True)
    if node == MAIN:
        targets = {
            "1": STATUS_REFERENCE,
            "2": SERVICES,
            "3": REFUSE_LIST,
            "4": COMPLAIN_CATEGORY,
            "5": RATE_ASK,
            "0": LANGUAGE,
        }
        return replace(home, node=targets[raw]) if raw in targets else invalid
    if node == LANGUAGE:
        if raw == "0":
            return home
        if raw.isdigit() and 1 <= int(raw) <= len(LANGUAGES):
            return State(language=LANGUAGES[int(raw) - 1])
        return invalid
    if node == STATUS_REFERENCE:
        if raw == "0":
            return home
        return replace(home, node=STATUS_SECRET, target=raw) if raw else invalid
    if node == STATUS_SECRET:
        if raw == "0":
            return replace(home, node=STATUS_REFERENCE)
        return replace(state, node=STATUS_DONE, answers=(raw,), is_invalid=False) if raw else invalid
    if node == SERVICES:
        services = ctx.services(state.language)
        chosen = list_choice(state, text(state.language, "services_title"), [s.title for s in services], raw)
        if isinstance(chosen, int):
            return replace(home, node=INTRO, target=services[chosen].pack_id)
        return chosen if chosen is not None else home
    if node == INTRO:
        if raw == "0":
            return replace(home, node=SERVICES)
        if raw == "1":
            questionnaire = ctx.questionnaire(state.target)
            done = questionnaire is None or not questionnaire.questions
            return replace(home, node=ELIGIBILITY_DONE if done else QUESTION, target=state.target)
        return invalid
    if node == QUESTION:
        return _answer(state, raw, ctx)
    if node == REFUSE_LIST:
        options = ctx.entitlements(state.language)
        labels = [_entitlement_label(state.language, e) for e in options]
        chosen = list_choice(state, text(state.language, "refuse_title"), labels, raw)
        if isinstance(chosen, int):
            return replace(home, node=REFUSE_CONFIRM, target=options[chosen].entitlement_id)
        return chosen if chosen is not None else home
    if node == REFUSE_CONFIRM:
        if raw == "1":
            return replace(state, node=REFUSE_DONE, is_invalid=False)
        if raw == "0":
            return replace(home, node=REFUSE_LIST)
        return invalid
    if node in (COMPLAIN_CATEGORY, COMPLAIN_AREA, COMPLAIN_AREA_LIST, COMPLAIN_TEXT, COMPLAIN_CONFIRM):
        return _complain_step(state, raw, ctx)
    if node in (RATE_ASK, RATE_COMMENT):
        return _rate_step(state, raw)
    return home


def _typed(raw: str) -> bool:
    """A text a person keyed in that the menus keep: not empty, short enough for one reply."""
    return bool(raw) and len(raw) <= TYPED_TEXT_LIMIT


def _area_entry(state: State, ctx: Context) -> State:
    """Where the complaint asks for the area (``state.answers`` holds the category): the area on record
    and another, or straight to the list when there is none on record."""
    if ctx.home_area() is not None:
        return replace(state, node=COMPLAIN_AREA, target="", page=0, is_invalid=False)
    return replace(state, node=COMPLAIN_AREA_LIST, target=ctx.area_start(), page=0, is_invalid=False)


def _complain_step(state: State, raw: str, ctx: Context) -> State:
    home = State(language=state.language)
    invalid = replace(state, is_invalid=True)
    node = state.node
    if node == COMPLAIN_CATEGORY:
        categories = ctx.categories(state.language)
        head = text(state.language, "complaint_category_title")
        chosen = list_choice(state, head, [label for _id, label in categories], raw)
        if isinstance(chosen, int):
            return _area_entry(replace(home, node=COMPLAIN_CATEGORY, answers=(categories[chosen][0],)), ctx)
        return chosen if chosen is not None else home
    category = state.answers[:1]
    if node == COMPLAIN_AREA:
        recorded = ctx.home_area()
        if raw == "1" and recorded is not None:
            return replace(state, node=COMPLAIN_TEXT, answers=(*category, recorded.code), is_invalid=False)
        if raw == "2":
            return replace(state, node=COMPLAIN_AREA_LIST, target=ctx.area_start(), page=0, is_invalid=False)
        if raw == "0":
            return replace(home, node=COMPLAIN_CATEGORY)
        return invalid
    if node == COMPLAIN_AREA_LIST:
        options = _area_options(state, ctx)
        picked = list_choice(state, _area_head(state, ctx), [label for _o, label in options], raw)
        if isinstance(picked, int):
            option, _label = options[picked]
            if option.code == state.target or not option.has_children:
                chosen = replace(state, node=COMPLAIN_TEXT, answers=(*category, option.code), target="")
                return replace(chosen, page=0, is_invalid=False)
            return replace(state, target=option.code, page=0, is_invalid=False)
        if picked is not None:
            return picked
        if state.target and state.target != ctx.area_start():  # back: one level up
            return replace(state, target=ctx.area_parent(state.target), page=0, is_invalid=False)
        if ctx.home_area() is not None:
            return replace(state, node=COMPLAIN_AREA, target="", page=0, is_invalid=False)
        return replace(home, node=COMPLAIN_CATEGORY)
    if node == COMPLAIN_TEXT:
        if raw == "0":
            return _area_entry(replace(state, answers=category), ctx)
        if _typed(raw):
            return replace(state, node=COMPLAIN_CONFIRM, answers=(*state.answers[:2], raw), is_invalid=False)
        return invalid
    # COMPLAIN_CONFIRM
    if raw == "1":
        return replace(state, node=COMPLAIN_DONE, is_invalid=False)
    if raw == "0":
        return replace(state, node=COMPLAIN_TEXT, answers=state.answers[:2], is_invalid=False)
    return invalid


def _rate_step(state: State, raw: str) -> State:
    if state.node == RATE_ASK:
        if raw in ("1", "2", "3", "4", "5"):
            return replace(state, node=RATE_COMMENT, answers=(raw,), is_invalid=False)
        if raw == "0":
            return State(language=state.language)
        return replace(state, is_invalid=True)
    # RATE_COMMENT: 1 sends without a comment; anything else typed is the comment.
    if raw == "0":
        return replace(state, node=RATE_ASK, answers=(), is_invalid=False)
    if raw == "1":
        return replace(state, node=RATE_DONE, answers=(state.answers[0], ""), is_invalid=False)
    if _typed(raw):
        return replace(state, node=RATE_DONE, answers=(state.answers[0], raw), is_invalid=False)
    return replace(state, is_invalid=True)


def _answer(state: State, raw: str, ctx: Context) -> State:
    questionnaire = ctx.questionnaire(state.target)
    if questionnaire is None or len(state.answers) >= len(questionnaire.questions):
        return replace(state, node=ELIGIBILITY_DONE)
    question = questionnaire.questions[len(state.answers)]
    previous = (
        replace(state, answers=state.answers[:-1], page=0, is_invalid=False)
        if state.answers
        else replace(state, node=INTRO, answers=(), page=0, is_invalid=False)
    )
    if question.type == TEXT:
        chosen = list_choice(state, _question_head(state, questionnaire, question), question.choices, raw)
        if chosen is None:
            return previous
        if isinstance(chosen, State):
            return chosen
        raw = str(chosen + 1)
    elif question.type == BOOLEAN and raw == "0":
        return previous
    if question.parse(raw) is None:
        return replace(state, is_invalid=True)
    answers = (*state.answers, raw)
    node = ELIGIBILITY_DONE if len(answers) == len(questionnaire.questions) else QUESTION
    return replace(state, node=node, answers=answers, page=0, is_invalid=False)


# ---------------------------------------------------------------------------------------------------
# Rendering


def _entitlement_label(language: str, option: EntitlementOption) -> str:
    title = clip(option.title, ITEM_LIMIT - len(option.supply_point_tail) - 5)
    return text(language, "refuse_item", title=title, supply_point=option.supply_point_tail)


def _question_head(state: State, questionnaire: Questionnaire, question: Question) -> str:
    label = text_in(question.label, state.language) or question.name
    unit = f" ({question.unit})" if question.unit else ""
    return f"{len(state.answers) + 1}/{len(questionnaire.questions)} {label}{unit}"


def language_option() -> str:
    """``0 Language/Língua/Idioma/ভাষা/언어``: findable whatever language the menu is in."""
    names = dict.fromkeys(texts(lang)["main_language"] for lang in LANGUAGES)
    return "0 " + "/".join(names)


def render(state: State, ctx: Context) -> Screen:
    """The screen for ``state``. Rendering ``refuse_done`` records the refusal (idempotently)."""
    lang = state.language
    node = state.node
    if node == MAIN:
        options = [
            _option(1, text(lang, "main_status")),
            _option(2, text(lang, "main_eligibility")),
            _option(3, text(lang, "main_refuse")),
            _option(4, text(lang, "main_complaint")),
            _option(5, text(lang, "main_rate")),
            language_option(),
        ]
        return compose(_invalid(state, text(lang, "main_title")), options)
    if node == LANGUAGE:
        options = [_option(i, LANGUAGE_NAMES[code]) for i, code in enumerate(LANGUAGES, start=1)]
        return compose(_invalid(state, text(lang, "language_title")), [*options, _back(lang)])
    if node == STATUS_REFERENCE:
        return compose(_invalid(state, text(lang, "status_ask_reference")), [_back(lang)])
    if node == STATUS_SECRET:
        return compose(_invalid(state, text(lang, "status_ask_secret")), [_back(lang)])
    if node == STATUS_DONE:
        return _status_screen(state, ctx)
    if node == SERVICES:
        services = ctx.services(lang)
        if not services:
            return compose(text(lang, "services_none"), is_final=True)
        return list_screen(state, text(lang, "services_title"), [s.title for s in services])
    if node == INTRO:
        return _intro_screen(state, ctx)
    if node == QUESTION:
        return _question_screen(state, ctx)
    if node == ELIGIBILITY_DONE:
        return _eligibility_screen(state, ctx)
    if node == REFUSE_LIST:
        entitlements = ctx.entitlements(lang)
        if not entitlements:
            return compose(text(lang, "refuse_none"), is_final=True)
        labels = [_entitlement_label(lang, e) for e in entitlements]
        return list_screen(state, text(lang, "refuse_title"), labels)
    if node == REFUSE_CONFIRM:
        option = _entitlement(state, ctx)
        if option is None:
            return compose(text(lang, "refuse_none"), is_final=True)
        head = text(lang, "refuse_confirm", title=option.title, supply_point=option.supply_point_tail)
        return compose(_invalid(state, head), [_option(1, text(lang, "confirm")), _back(lang)])
    if node == REFUSE_DONE:
        return _refuse_screen(state, ctx)
    if node in (COMPLAIN_CATEGORY, COMPLAIN_AREA, COMPLAIN_AREA_LIST, COMPLAIN_TEXT, COMPLAIN_CONFIRM):
        return _complain_screen(state, ctx)
    if node == COMPLAIN_DONE:
        return _complain_done_screen(state, ctx)
    if node in (RATE_ASK, RATE_COMMENT, RATE_DONE):
        return _rate_screen(state, ctx)
    return compose(text(lang, "unavailable"), is_final=True)


def _status_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    view = ctx.status(state.target, state.answers[0] if state.answers else "", lang)
    if view is None:
        return compose(text(lang, "status_not_found"), is_final=True)
    found = text(
        lang, "status_found", reference=view.reference, stage="{stage}", since=date_text(lang, view.since)
    )
    if view.decided_on is not None:
        after = text(lang, "status_decided", date=date_text(lang, view.decided_on))
    elif view.due_on is not None:
        after = text(lang, "status_due", date=date_text(lang, view.due_on))
    else:
        after = ""
    # The stage (a pack's wording) is the only part of unknown length: it gives way, the dates do not.
    room = BODY_LIMIT - (len(found) - len("{stage}")) - (len(after) + 1 if after else 0)
    body = found.replace("{stage}", clip(view.stage, room)) + (f"\n{after}" if after else "")
    return Screen(body, True)


def _intro_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    questionnaire = ctx.questionnaire(state.target)
    if questionnaire is None:
        return compose(text(lang, "unavailable"), is_final=True)
    title = _service_title(state, ctx)
    head = text(lang, "intro", title=title, count=len(questionnaire.questions))
    lines = [_option(1, text(lang, "start")), _back(lang)]
    if questionnaire.skipped:
        note = text(lang, "intro_skipped", skipped=len(questionnaire.skipped))
        room = BODY_LIMIT - len(note) - 1 - sum(len(line) + 1 for line in lines)
        return compose(_invalid(state, clip(head, room)) + "\n" + note, lines)
    return compose(_invalid(state, head), lines)


def _service_title(state: State, ctx: Context) -> str:
    found = [s.title for s in ctx.services(state.language) if s.pack_id == state.target]
    return clip(found[0] if found else state.target, ITEM_LIMIT)


def _question_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    questionnaire = ctx.questionnaire(state.target)
    if questionnaire is None or len(state.answers) >= len(questionnaire.questions):
        return compose(text(lang, "unavailable"), is_final=True)
    question = questionnaire.questions[len(state.answers)]
    head = _question_head(state, questionnaire, question)
    if question.type == BOOLEAN:
        lines = [_option(1, text(lang, "question_yes")), _option(2, text(lang, "question_no")), _back(lang)]
        return compose(_invalid(state, head), lines)
    if question.type == TEXT:
        return list_screen(state, head, question.choices)
    hint = text(lang, "question_date" if question.type == DATE else "question_number")
    return compose(_invalid(state, head), [hint])


def _eligibility_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    questionnaire = ctx.questionnaire(state.target)
    if questionnaire is None:
        return compose(text(lang, "unavailable"), is_final=True)
    answer = ctx.decide(state.target, state.answers, lang)
    title = clip(text_in(questionnaire.decision_title, lang) or _service_title(state, ctx), ITEM_LIMIT)
    head = text(lang, f"result_{answer.outcome}", title=title)
    if answer.reason:
        head = f"{head} {answer.reason}"
    lines = [text(lang, "result_guide")] if questionnaire.skipped and answer.outcome != "yes" else []
    return compose(head, lines, is_final=True)


def _entitlement(state: State, ctx: Context) -> EntitlementOption | None:
    found = [e for e in ctx.entitlements(state.language) if e.entitlement_id == state.target]
    return found[0] if found else None


def _refuse_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    option = _entitlement(state, ctx)
    if option is None:
        return compose(text(lang, "refuse_none"), is_final=True)
    outcome = ctx.refuse(option.entitlement_id)
    if outcome == "refused":
        body = text(lang, "refuse_done", title=option.title, supply_point=option.supply_point_tail)
    elif outcome == "ended":
        body = text(lang, "refuse_ended")
    else:
        body = text(lang, "refuse_not_allowed")
    return compose(body, is_final=True)


# ---------------------------------------------------------------------------------------------------
# Complaints and ratings


def _area_options(state: State, ctx: Context) -> list[tuple[AreaOption, str]]:
    """The area list below ``state.target``: the area itself first ("All of ..."), then the areas below."""
    options: list[tuple[AreaOption, str]] = []
    if state.target:
        here = ctx.area(state.target)
        if here is not None:
            options.append((here, text(state.language, "complaint_area_all", area=here.name)))
    options += [(a, a.name) for a in ctx.areas(state.target)]
    return options


def _area_head(state: State, ctx: Context) -> str:
    """``Where did it happen?``, and below the start of the list the area being browsed."""
    here = ctx.area(state.target) if state.target and state.target != ctx.area_start() else None
    head = text(state.language, "complaint_area_title")
    return f"{here.name}: {head}" if here is not None else head


def _typed_head(state: State, key: str, **values: object) -> str:
    """A prompt for typed text; after a text that was empty or too long, it says so first."""
    head = text(state.language, key, **values)
    return f"{text(state.language, 'text_too_long')} {head}" if state.is_invalid else head


def _category_label(state: State, ctx: Context, category: str) -> str:
    labels = dict(ctx.categories(state.language))
    return labels.get(category, category)


def _complain_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    node = state.node
    if node == COMPLAIN_CATEGORY:
        categories = ctx.categories(lang)
        if not categories:
            return compose(text(lang, "complaint_unavailable"), is_final=True)
        head = text(lang, "complaint_category_title")
        return list_screen(state, head, [label for _id, label in categories])
    if node == COMPLAIN_AREA:
        recorded = ctx.home_area()
        lines = [_option(2, text(lang, "complaint_area_other")), _back(lang)]
        if recorded is not None:
            lines.insert(0, _option(1, recorded.name))
        return compose(_invalid(state, text(lang, "complaint_area_title")), lines)
    if node == COMPLAIN_AREA_LIST:
        options = _area_options(state, ctx)
        if not options:
            return compose(text(lang, "complaint_unavailable"), is_final=True)
        return list_screen(state, _area_head(state, ctx), [label for _o, label in options])
    if node == COMPLAIN_TEXT:
        return compose(_typed_head(state, "complaint_ask_text", limit=TYPED_TEXT_LIMIT), [_back(lang)])
    # COMPLAIN_CONFIRM: what was chosen, never what was typed (the reply is kept for retries).
    area = ctx.area(state.answers[1]) if len(state.answers) > 1 else None
    head = text(
        lang,
        "complaint_confirm",
        category=clip(_category_label(state, ctx, state.answers[0]), ITEM_LIMIT),
        area=clip(area.name if area is not None else "", ITEM_LIMIT),
    )
    return compose(_invalid(state, head), [_option(1, text(lang, "send")), _back(lang)])


def _complain_done_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    if len(state.answers) < 3:
        return compose(text(lang, "complaint_unavailable"), is_final=True)
    category, area, typed = state.answers[:3]
    filed = ctx.complain(category, area, typed, lang)
    if filed is None:
        return compose(text(lang, "complaint_unavailable"), is_final=True)
    body = text(lang, "complaint_done", reference=filed.reference, date=date_text(lang, filed.due_on))
    return compose(body, is_final=True)


def _rate_screen(state: State, ctx: Context) -> Screen:
    lang = state.language
    option = ctx.rate_target(lang)
    if option is None:
        return compose(text(lang, "rate_none"), is_final=True)
    if state.node == RATE_ASK:
        scores = [_option(i, text(lang, f"rate_{i}")) for i in range(1, 6)]
        head = text(lang, "rate_ask", title=clip(option.title, ITEM_LIMIT), label=option.label)
        return compose(_invalid(state, head), [*scores, _back(lang)])
    if state.node == RATE_COMMENT:
        lines = [_option(1, text(lang, "rate_no_comment")), _back(lang)]
        return compose(_typed_head(state, "rate_ask_comment", limit=TYPED_TEXT_LIMIT), lines)
    score, comment = (*state.answers, "", "")[:2]
    outcome = ctx.rate(option.kind, option.key, int(score), comment) if score.isdigit() else "not_allowed"
    return compose(text(lang, "rate_not_allowed" if outcome == "not_allowed" else "rate_done"), is_final=True)
