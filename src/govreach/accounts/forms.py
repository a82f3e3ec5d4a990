"""Forms for signing in and for the assisted channel; every error names the field and the fix.

``AccessibleForm`` marks invalid inputs with ``aria-invalid`` and points ``aria-describedby`` at the
error text that ``accounts/_field.html`` renders, so a screen reader reads the error with the field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govreach.accounts.phones import InvalidPhone, phone_normalise
from govreach.catalogue.selectors import service_pack_list

_CODE = re.compile(r"^[0-9]{6}$")


class AccessibleForm(forms.Form):
    """A form whose invalid inputs carry ``aria-invalid`` and a ``aria-describedby`` to their error."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}_error"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")  # Django's own id for the hint
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": " ".join(described)}
                )


class StaffLoginForm(AccessibleForm):
    """Step 1 of the staff sign-in; the view checks the password, the form only that both are there."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your username.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )


class CodeForm(AccessibleForm):
    """A 6-digit code (authenticator or SMS); spaces typed between digits are ignored."""

    code = forms.CharField(
        label=_("Code"),
        help_text=_("The 6 digits, for example 123456."),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "size": 8}
        ),
        error_messages={"required": _("Enter the 6-digit code.")},
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not _CODE.match(code):
            raise forms.ValidationError(_("Enter the code as 6 digits, for example 123456."))
        return code


class PhoneField(forms.CharField):
    """A phone number, cleaned to E.164."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("help_text", _("With the country code, for example +880 1712 345678."))
        kwargs.setdefault("error_messages", {"required": _("Enter a mobile phone number.")})
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"})
        )
        super().__init__(max_length=32, **kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        try:
            return phone_normalise(text)
        except InvalidPhone:
            raise forms.ValidationError(
                _("Enter the mobile number with its country code, for example +880 1712 345678.")
            ) from None


class PhoneForm(AccessibleForm):
    """Step 1 of the citizen sign-in: a mobile number, cleaned to E.164."""

    phone = PhoneField()


def _pack_choices(language: str) -> list[tuple[str, str]]:
    return [
        (row.pack_id, row.titles.get(language) or row.titles.get("en") or row.pack_id)
        for row in service_pack_list()
    ]


class AssistStartForm(AccessibleForm):
    """The citizen an intermediary will assist, and for which loaded service."""

    phone = PhoneField(label=_("Citizen's mobile phone number"))
    pack_id = forms.ChoiceField(
        label=_("Service"), error_messages={"required": _("Choose the service the citizen needs help with.")}
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pack_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _pack_choices(language)


class AssistSignedForm(AssistStartForm):
    """A signed consent form; its type and size are checked by ``consent_record_signed``."""

    document = forms.FileField(
        label=_("Signed consent form"),
        help_text=_("A scan or photo of the form the citizen signed: PDF, JPEG or PNG, at most 5 MB."),
        error_messages={"required": _("Choose the file of the signed consent form.")},
    )
