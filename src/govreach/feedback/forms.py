"""Forms of the rating question, the grievance and the staff's answer; labels translated, no JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govreach.feedback.conf import comment_max_chars, grievance_categories
from govreach.feedback.services import NOTE_MAX_CHARS, TEXT_MAX_CHARS
from govreach.registry.models import Area

RATING_CHOICES = (
    ("5", _("Very satisfied")),
    ("4", _("Satisfied")),
    ("3", _("Neither satisfied nor dissatisfied")),
    ("2", _("Dissatisfied")),
    ("1", _("Very dissatisfied")),
)

CATEGORY_LABELS = {
    "delay": _("Delay: it is taking too long"),
    "wrong_decision": _("A decision I think is wrong"),
    "staff_conduct": _("How staff treated me"),
    "accessibility": _("Access or accessibility"),
    "data_privacy": _("My data or my privacy"),
    "other": pgettext_lazy("grievance category", "Something else"),
}

STATUS_LABELS = {
    "open": _("Received"),
    "in_progress": _("Being handled"),
    "resolved": _("Resolved"),
    "rejected": _("Rejected"),
}

TIER_LABELS = {
    "local": _("Local office"),
    "district": _("District or municipality"),
    "regional": _("Regional office"),
    "national": _("National office"),
}

ACTION_LABELS = {
    "filed": _("Complaint received"),
    "replied": _("Reply from the office"),
    "resolved": _("Resolved"),
    "rejected": _("Rejected"),
    "escalated": _("Sent to a higher level"),
}


class _Described(forms.Form):
    """Ties each input to its hint, so a screen reader reads the hint with the field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe()

    def describe(self) -> None:
        for name, field in self.fields.items():
            if field.help_text and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"


class RatingForm(_Described):
    rating = forms.ChoiceField(
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are")},
    )

    def __init__(self, *args: Any, question: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rating"].label = question
        # Built here, not on the class: the limit is a setting a deployment may change.
        self.fields["comment"] = forms.CharField(
            label=_("Anything to add? (optional)"),
            help_text=_("Only the team improving the service reads it. It is never published."),
            required=False,
            max_length=comment_max_chars(),
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        self.describe()


def _area_choices() -> list[tuple[str, str]]:
    rows = Area.objects.order_by("path").values_list("code", "name", "depth")
    # Indented with no-break spaces, which screen readers do not read out (dots would be).
    return [("", "—")] + [(code, f"{chr(0xA0) * 3 * depth}{name}") for code, name, depth in rows]


class GrievanceForm(_Described):
    category = forms.ChoiceField(
        label=_("What is your complaint about?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what your complaint is about")},
    )
    area = forms.ChoiceField(
        label=_("Where did it happen?"),
        help_text=_("Choose the place closest to where you live or were served."),
        error_messages={"required": _("Choose where it happened")},
    )
    service = forms.ChoiceField(label=_("Which service? (optional)"), required=False)
    text = forms.CharField(
        label=_("What happened?"),
        help_text=_("Do not include passwords or codes."),
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say what happened")},
    )
    contact_channel = forms.ChoiceField(
        label=_("How should we keep you informed? (optional)"),
        required=False,
        widget=forms.RadioSelect,
        choices=(("", _("Do not contact me")), ("sms", _("By SMS")), ("email", _("By email"))),
    )
    contact = forms.CharField(
        label=_("Phone number or email address"),
        help_text=_("Phone numbers in international form, e.g. +8801712345678."),
        required=False,
        max_length=254,
    )
    source = forms.ChoiceField(label=_("How was the complaint received?"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(
        self, *args: Any, services: list[tuple[str, str]], staff_sources: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choices("category", [(c, CATEGORY_LABELS.get(c, c)) for c in grievance_categories()])
        self._choices("area", _area_choices())
        self._choices("service", [("", "—"), *services])
        if staff_sources:
            self._choices("source", [("counter", _("At a counter")), ("phone", _("By phone"))])
            self.fields["source"].required = True
        else:
            del self.fields["source"]

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("contact_channel") and not cleaned.get("contact"):
            self.add_error("contact", _("Enter the phone number or email address to contact you on"))
        return cleaned


class StatusForm(_Described):
    reference = forms.CharField(
        label=_("Reference"), help_text=_("For example G-2026-7KQ4MX2P"), max_length=32
    )
    secret = forms.CharField(label=_("Secret code"), help_text=_("8 letters and digits"), max_length=32)


class HandleForm(_Described):
    action = forms.ChoiceField(
        label=_("What do you do?"),
        widget=forms.RadioSelect,
        choices=(
            ("reply", _("Reply: the complaint is being handled")),
            ("resolve", _("Resolve: say what was done")),
            ("reject", _("Reject: give the reason")),
        ),
        error_messages={"required": _("Choose what you do")},
    )
    note = forms.CharField(
        label=_("Message to the complainant"),
        help_text=_("The complainant reads this on the status page."),
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the message to the complainant")},
    )
