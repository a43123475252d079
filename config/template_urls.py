"""``{% url %}`` as Django's, with a URL without arguments kept once worked out
(``config.reversing``). A built-in library (``TEMPLATES["OPTIONS"]["builtins"]``), so
it stands in for Django's own tag in every template, with no ``{% load %}``.

Parsing is Django's; only drawing a tag with neither arguments nor keywords differs,
and it gives the same text (``tests/config/test_template_urls.py``)."""

from __future__ import annotations

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from config.reversing import reverse_fixed

register = template.Library()


class KeptURLNode(defaulttags.URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        # As Django's URLNode: the current application from the request, if any.
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_fixed(view_name, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    node.__class__ = KeptURLNode
    return node
