"""A drop-down and a text box drawn in Python: the same HTML as Django's
``forms.Select`` and ``forms.TextInput``, without the template engine. Django draws
each option through two included templates, which cost a list page's filters several
milliseconds a request, and a text box through two more (about 0.2 ms on a slow host,
on every page of the triage queue; docs/performance.md).
``tests/referrals/test_widgets.py`` checks that the HTML is the same as Django's."""

from __future__ import annotations

import html

from django import forms
from django.utils.safestring import SafeData, mark_safe


def conditional_escape(value) -> str:
    """Django's ``conditional_escape`` for the plain strings, numbers and safe strings a
    drop-down holds, without its lazy-string wrapper (a filter may hold 100 options)."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


class Select(forms.Select):
    """``forms.Select``, rendered without templates (same HTML)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        # django/forms/widgets/select.html and select_option.html
        out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                out.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")  # the renderer strips the last newline
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


class TextInput(forms.TextInput):
    """``forms.TextInput`` (any ``type``: a search box too), rendered without templates
    (same HTML)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        # django/forms/widgets/input.html
        shown = (
            ""
            if widget["value"] is None
            else f' value="{conditional_escape(str(widget["value"]))}"'
        )
        return mark_safe(  # noqa: S308 - every value below is escaped
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
        )
