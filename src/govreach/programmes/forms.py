"""Forms of the programme pages. The registration form asks for the pack's own facts, built from the
rules' input declarations (type, allowed values, description per language), so no pack needs a form
written in Python."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from govreach.packs.loader import text_in
from govreach.packs.programme import Programme
from govreach.rules.model import BOOLEAN, DATE, INTEGER, NUMBER, FieldSpec, RuleSet

FACT_PREFIX = "fact__"
MAX_LIST_BYTES = 2 * 1024 * 1024
IDENTITY_COLUMNS = ("given_name", "family_name", "birth_date", "national_id")
ROW_COLUMNS = ("guardian_phone", "school_code", "school_name", "hub")


def fact_field_name(fact: str) -> str:
    return FACT_PREFIX + fact.replace(".", "__")


def _fact_field(spec: FieldSpec, language: str) -> forms.Field:
    label = text_in(spec.description, language) or spec.name
    help_text = f"{spec.unit}" if spec.unit else ""
    if spec.type == BOOLEAN:
        return forms.TypedChoiceField(
            label=label,
            choices=[("", _("I do not know")), ("true", _("Yes")), ("false", _("No"))],
            coerce=lambda v: v == "true",
            empty_value=None,
            required=False,
        )
    if spec.type == INTEGER:
        return forms.IntegerField(label=label, required=False, help_text=help_text)
    if spec.type == NUMBER:
        return forms.DecimalField(
            label=label, required=False, help_text=help_text, max_digits=14, decimal_places=2
        )
    if spec.type == DATE:
        return forms.DateField(label=label, required=False, help_text=_("As YYYY-MM-DD"))
    if spec.allowed:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", _("I do not know")), *((v, v) for v in spec.allowed)]
        )
    return forms.CharField(label=label, required=False, max_length=200)


class RegistrationForm(forms.Form):
    """One student: who they are, their school and hub, their guardian's phone, and the rules' facts."""

    given_name = forms.CharField(label=_("Student's given name"), max_length=200)
    family_name = forms.CharField(label=_("Student's family name"), max_length=200)
    birth_date = forms.DateField(label=_("Student's date of birth"), help_text=_("As YYYY-MM-DD"))
    national_id = forms.CharField(
        label=_("Student's national id (CPF), if any"), max_length=64, required=False
    )
    school_code = forms.CharField(label=_("School code"), max_length=32, required=False)
    school_name = forms.CharField(label=_("School name"), max_length=200, required=False)
    hub = forms.ChoiceField(label=_("Learning hub nearest the school"), required=False)
    guardian_phone = forms.RegexField(
        label=_("Guardian's mobile number"),
        regex=r"^\+[1-9][0-9]{7,14}$",
        help_text=_(
            "With the country code, e.g. +5581987654321. Used only for messages about the programme."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        ruleset: RuleSet,
        programme: Programme,
        language: str,
        ask_phone: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ruleset = ruleset
        hub = self.fields["hub"]
        assert isinstance(hub, forms.ChoiceField)
        hub.choices = [("", _("Not known")), *((h.id, text_in(h.title, language)) for h in programme.hubs)]
        if not ask_phone:
            del self.fields["guardian_phone"]
        for name, spec in ruleset.inputs.unit_fields.items():
            self.fields[fact_field_name(name)] = _fact_field(spec, language)

    def fact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(FACT_PREFIX)]

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(FACT_PREFIX)]

    def facts(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self.ruleset.inputs.unit_fields:
            value = self.cleaned_data.get(fact_field_name(name))
            if value is None or value == "":
                continue
            out[name] = float(value) if hasattr(value, "as_tuple") else value
        return out


class SchoolListForm(forms.Form):
    """A school's whole list as CSV: identity and school columns, then one column per fact of the rules."""

    file = forms.FileField(label=_("The school's list (CSV, UTF-8)"))

    def rows(self) -> list[dict[str, str]]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise ValidationError(_("The file is larger than 2 MB: split the list."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text: save it as CSV UTF-8.")) from None
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in ("given_name", "family_name") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(
                _("The list lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        return [dict(row) for row in reader]


class SeedForm(forms.Form):
    seed = forms.CharField(
        label=_("Lottery seed"),
        max_length=200,
        help_text=_(
            "Draw it in public (for example the numbers of a public lottery) and announce it before running: "
            "it is published with the list."
        ),
    )


class FreePlaceForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Why"), choices=[("declined", _("Declined")), ("withdrawn", _("Withdrew"))]
    )


class OutcomesForm(forms.Form):
    file = forms.FileField(
        label=_("Results (CSV: key, sat_exam, passed, institution)"),
        help_text=_("One line per student, by registration key; sat_exam and passed are yes or no."),
    )

    def rows(self) -> list[dict[str, str]]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise ValidationError(_("The file is larger than 2 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text: save it as CSV UTF-8.")) from None
        reader = csv.DictReader(io.StringIO(text))
        if "key" not in (reader.fieldnames or []):
            raise ValidationError(_("The file lacks the column 'key'."))
        return [dict(row) for row in reader]
