"""What every form shares: fields that check the shape of what was typed (a telephone
number that looks like one, a date in a usual format), the crispy layout helper, and
``add_service_errors``, which puts a service's refusal next to the field it is about.
The service's rules themselves live in ``referrals/services/`` and ``referrals/rules.py``.
"""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from referrals.services import RuleRefused

PHONE_CHARACTERS = re.compile(r"^[0-9 +()]+$")
PHONE_DIGITS = (10, 13)

# Keys the services use that are named differently on the forms.
SERVICE_FIELD_ALIASES = {"occurred_on": "incident_date"}

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"]


def validate_uk_phone(value: str) -> None:
    """A UK telephone number: digits, spaces, + and brackets, with 10 to 13 digits."""
    if not PHONE_CHARACTERS.match(value):
        raise ValidationError(
            "Please use only digits, spaces, + and brackets, for example 0116 496 0000 "
            "or +44 116 496 0000.",
            code="phone_characters",
        )
    digits = sum(ch.isdigit() for ch in value)
    low, high = PHONE_DIGITS
    if not low <= digits <= high:
        raise ValidationError(
            f"A UK telephone number has between {low} and {high} digits; this one has "
            f"{digits}. Please check the number.",
            code="phone_length",
        )


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_uk_phone])
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})


class KindEmailField(forms.EmailField):
    default_error_messages = {
        "invalid": "Please enter an e-mail address in the form name@example.org."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class DateField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "Please enter a date, for example 14/03/2026.",
                **kwargs.get("error_messages", {}),
            },
        )
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Put a service's refusal (``ValidationError`` or ``RuleRefused``) next to the
    field it is about, or at the top of the form when no field on this form fits."""
    if isinstance(exc, RuleRefused):
        field = SERVICE_FIELD_ALIASES.get(exc.field, exc.field)
        form.add_error(field if field in form.fields else None, exc.message)
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            field = SERVICE_FIELD_ALIASES.get(key, key)
            for message in messages:
                if field in form.fields:
                    form.add_error(field, message)
                else:
                    form.add_error(None, message)
        return
    for message in getattr(exc, "messages", [str(exc)]):
        form.add_error(None, message)


def crispy_helper(layout: Layout | None = None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates own the <form>: csrf, data-once, hidden version
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


# Every text field has a limit (docs/service.md "Forms"): the field's own max_length, or
# these. Long enough for what people write; short enough to keep a form and its page
# quick, and to keep under Django's limit on a post.
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
TOO_LONG = (
    "This is longer than the %(limit_value)s characters there is room for (it has "
    "%(show_value)s). Everything you typed is still here: please shorten it a little."
)


def apply_text_limits(form: forms.BaseForm) -> None:
    """Give every text field of ``form`` a length limit, a kind message when it is too
    long, and what the live counter (``static/cirs/counter.js``) reads; and mark each
    required field for assistive technology. The limit is not the browser's own
    ``maxlength``, which would cut pasted text off without a word: the counter warns,
    and the server says so beside the field, keeping what was typed."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            if field.max_length is None:
                long = isinstance(field.widget, forms.Textarea)
                field.max_length = LONG_TEXT_MAX if long else SHORT_TEXT_MAX
                field.validators.append(MaxLengthValidator(field.max_length))
            field.error_messages.setdefault("max_length", TOO_LONG)
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs["data-limit"] = str(field.max_length)
        if field.required:
            field.widget.attrs["aria-required"] = "true"


class KindForm(forms.Form):
    """The base of every CIRS form: text limits with a counter and kind messages, and
    required fields marked (``apply_text_limits``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_limits(self)


class CrispyForm(KindForm):
    """A form rendered inside a template-owned <form> (see ``crispy_helper``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()
