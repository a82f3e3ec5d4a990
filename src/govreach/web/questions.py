"""A pack's form questions as HTML fields, and the posted values back as answers.

No Django forms: the questions come from the pack at run time. Every field has a stable HTML id that
the error summary links to; every error message names the question and says what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from govreach.cases.models import Document
from govreach.packs.forms import Form, Page, Question
from govreach.registry.models import Area
from govreach.web.formats import date_long_text
from govreach.web.language import text_and_language

FORMAT_NAMES = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}
ACCEPT = {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png"}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    lang: str
    html_id: str
    is_checked: bool


@dataclass(frozen=True)
class OptionGroup:
    label: str
    options: list[Option]


@dataclass
class FieldView:
    """What the template needs to draw one question."""

    question_id: str
    name: str
    widget: str  # text | tel | numeric | decimal | date | radios | select | file
    label: str
    label_lang: str
    hint: str = ""
    hint_lang: str = ""
    value: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    options: list[Option] = field(default_factory=list)
    groups: list[OptionGroup] = field(default_factory=list)
    error: str = ""
    is_required: bool = True
    accept: str = ""
    formats: str = ""
    max_mb: float | None = None
    attached: Document | None = None
    autocomplete: str = ""
    maxlength: int | None = None

    @property
    def html_id(self) -> str:
        """Where the error summary link lands: the first input of the question."""
        if self.widget == "date":
            return f"{self.name}-day"
        if self.widget == "radios" and self.options:
            return self.options[0].html_id
        return self.name

    @property
    def described_by(self) -> str:
        ids = []
        if self.hint:
            ids.append(f"{self.name}-hint")
        if self.error:
            ids.append(f"{self.name}-error")
        return " ".join(ids)


def lc_first(text: str) -> str:
    """'Your full name' -> 'your full name', but 'J.L. number' and 'ID' stay as they are."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def formats_of(q: Question) -> str:
    names = [FORMAT_NAMES.get(f, f.upper()) for f in q.accept]
    if len(names) == 1:
        return names[0]
    return _("%(formats)s or %(last)s") % {"formats": ", ".join(names[:-1]), "last": names[-1]}


def field_name(q: Question) -> str:
    return f"q-{q.id}"


def _area_groups(q: Question, country: str, value: str, name: str, language: str) -> list[OptionGroup]:
    areas = (
        Area.objects.filter(level=q.level or "", path__startswith=f"/{country}/")
        .select_related("parent", "parent__parent")
        .order_by("path")[:2000]
    )
    groups: dict[str, list[Option]] = {}
    for i, area in enumerate(areas):
        parent = area.parent
        grand = parent.parent if parent is not None else None
        group = " › ".join(a.name for a in (grand, parent) if a is not None)
        groups.setdefault(group, []).append(
            Option(area.code, area.name, language, f"{name}-{i}", area.code == value)
        )
    return [OptionGroup(label, options) for label, options in groups.items()]


def field_view(
    q: Question,
    *,
    language: str,
    country: str,
    value: Any,
    error: str = "",
    attached: Document | None = None,
    posted: Mapping[str, str] | None = None,
) -> FieldView:
    """The field for ``q`` showing ``value`` (a stored answer) or, after an error, what was typed."""
    name = field_name(q)
    label, label_lang = text_and_language(q.label, language)
    hint, hint_lang = text_and_language(q.hint or None, language)
    view = FieldView(
        question_id=q.id,
        name=name,
        widget="text",
        label=label,
        label_lang=label_lang,
        hint=hint,
        hint_lang=hint_lang,
        error=error,
        is_required=q.required,
    )
    text = "" if value is None else str(value)
    if posted is not None and q.type != "document":
        text = posted.get(name, "")
    if q.type == "date":
        view.widget = "date"
        if posted is not None:
            view.day, view.month, view.year = (
                posted.get(f"{name}-{p}", "") for p in ("day", "month", "year")
            )
        elif text:
            try:
                day = dt.date.fromisoformat(text)
                view.day, view.month, view.year = str(day.day), str(day.month), str(day.year)
            except ValueError:
                pass
    elif q.type == "choice":
        view.widget = "radios"
        for i, choice in enumerate(q.choices):
            choice_label, choice_lang = text_and_language(choice.label, language)
            view.options.append(
                Option(choice.value, choice_label, choice_lang, f"{name}-{i}", choice.value == text)
            )
    elif q.type == "area":
        view.widget = "select"
        view.groups = _area_groups(q, country, text, name, language)
    elif q.type == "document":
        view.widget = "file"
        view.accept = ",".join(ACCEPT.get(f, "") for f in q.accept)
        view.formats = formats_of(q)
        view.max_mb = q.max_mb
        view.attached = attached
    elif q.type == "phone":
        view.widget = "tel"
        view.autocomplete = "tel"
    elif q.type in ("integer", "national_id"):
        view.widget = "numeric"
        view.autocomplete = "off"
    elif q.type == "number":
        view.widget = "decimal"
    if q.type in ("number", "integer") and isinstance(value, float) and value.is_integer() and posted is None:
        text = str(int(value))
    if q.type == "text" and q.max is not None:
        view.maxlength = int(q.max)
    view.value = text
    return view


@dataclass
class PagePost:
    """What one page's POST said: answers to save, files to attach, errors by question id."""

    answers: dict[str, Any]
    files: dict[str, UploadedFile[bytes]]
    errors: dict[str, str]


def _label(q: Question, language: str) -> str:
    return text_and_language(q.label, language)[0]


def _date_from(post: QueryDict, name: str, label: str) -> tuple[str | None, str]:
    parts = {p: post.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")}
    if not any(parts.values()):
        return "", ""
    missing = [p for p, v in parts.items() if not v]
    if missing:
        part_names = {"day": _("a day"), "month": _("a month"), "year": _("a year")}
        parts_missing = _(" and ").join(part_names[p] for p in missing)
        return None, _("%(label)s must include %(parts)s") % {"label": label, "parts": parts_missing}
    not_a_date = _("%(label)s must be a real date, for example 27 3 2024") % {"label": label}
    if not all(v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        return None, not_a_date
    try:
        day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, not_a_date
    return day.isoformat(), ""


def read_page(
    questions: Sequence[Question],
    post: QueryDict,
    files: MultiValueDict[str, UploadedFile[bytes]],
    *,
    language: str,
    attached: frozenset[str],
    today: dt.date,
) -> PagePost:
    """Read the posted values of ``questions`` (those shown on the page) and check what a page can.

    Required answers, dates, numbers and files are checked here, in words that name the question; the
    rest (choices, patterns, limits) by the cases service, whose messages are prefixed with the label.
    """
    result = PagePost({}, {}, {})
    for q in questions:
        name = field_name(q)
        label = _label(q, language)
        if q.type == "document":
            upload = files.get(name)
            if upload is not None and upload.size:
                result.files[q.id] = upload
            elif q.required and q.id not in attached:
                result.errors[q.id] = _("Upload %(label)s: a %(formats)s file") % {
                    "label": lc_first(label),
                    "formats": formats_of(q),
                }
            continue
        if q.type == "date":
            value, error = _date_from(post, name, label)
            if error:
                result.errors[q.id] = error
                continue
            if value and dt.date.fromisoformat(value) > today:
                result.errors[q.id] = _("%(label)s must be today or in the past") % {"label": label}
                continue
            raw: Any = value
        else:
            raw = post.get(name, "").strip()
        if q.type in ("number", "integer") and raw:
            raw = raw.replace(",", "").replace(" ", "")
            if q.type == "integer" and not re.fullmatch(r"-?[0-9]+", raw):
                result.errors[q.id] = _("%(label)s must be a whole number, for example 2") % {"label": label}
                continue
            if q.type == "number" and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|-?\.[0-9]+", raw):
                result.errors[q.id] = _("%(label)s must be a number, for example 8.25") % {"label": label}
                continue
        if q.type in ("phone", "national_id") and raw:
            raw = re.sub(r"[\s-]", "", raw)
        if raw in ("", None):
            if q.required:
                wording = _("Select %(label)s") if q.type in ("choice", "area") else _("Enter %(label)s")
                result.errors[q.id] = wording % {"label": lc_first(label)}
            result.answers[q.id] = None
            continue
        result.answers[q.id] = raw
    return result


def answer_text(q: Question, value: Any, *, language: str) -> tuple[str, str]:
    """How a stored answer reads on the check page, and its language."""
    if value is None or value == "":
        return "", language
    if q.type == "choice":
        for choice in q.choices:
            if choice.value == value:
                return text_and_language(choice.label, language)
    if q.type == "area":
        area = Area.objects.filter(code=str(value)).select_related("parent").first()
        if area is not None:
            return (f"{area.name}, {area.parent.name}" if area.parent else area.name), language
    if q.type == "date":
        try:
            day = dt.date.fromisoformat(str(value))
            if language.split("-")[0] != "en":
                return date_long_text(day, language), language
            return f"{day.day} {MONTHS[day.month - 1]} {day.year}", "en"
        except ValueError:
            pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), language
    return str(value), language


def pages_shown(form: Form, answers: Mapping[str, Any], on: dt.date, attached: frozenset[str]) -> list[Page]:
    return [p for p in form.pages if form.is_shown(p, answers, on, attached)]


def questions_shown(
    form: Form, page: Page, answers: Mapping[str, Any], on: dt.date, attached: frozenset[str]
) -> list[Question]:
    return [q for q in page.questions if form.is_shown(q, answers, on, attached)]


def page_is_complete(
    form: Form, page: Page, answers: Mapping[str, Any], on: dt.date, attached: frozenset[str]
) -> bool:
    for q in questions_shown(form, page, answers, on, attached):
        if not q.required:
            continue
        if q.type == "document" and q.id not in attached:
            return False
        if q.type != "document" and answers.get(q.id) in (None, ""):
            return False
    return True


def page_has_answers(page: Page, answers: Mapping[str, Any], attached: frozenset[str]) -> bool:
    return any(answers.get(q.id) not in (None, "") or q.id in attached for q in page.questions)
