"""The auditor's filter: a period (whole UTC days) and optional action, actor and person id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 7


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From (date)"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To (date, included)"), required=False, widget=DateInput)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("The start of an action name, for example web.staff_case"),
    )
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    person = forms.IntegerField(label=_("Person number"), required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.now().astimezone(dt.UTC).date()
        data["date_to"] = data.get("date_to") or today
        data["date_from"] = data.get("date_from") or data["date_to"] - dt.timedelta(days=DEFAULT_DAYS - 1)
        if data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data
