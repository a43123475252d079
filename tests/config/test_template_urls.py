"""``{% url %}`` and ``reverse_fixed`` keep a URL without arguments once worked out
(config/reversing.py, config/template_urls.py): the same text as Django's own tag and
``reverse``, and never a URL kept from another URL configuration or script prefix."""

import pytest
from django.template import Context, Engine, engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from config.reversing import reverse_fixed
from referrals.navigation import NavItem

SOURCES = [
    "{% url 'referrals:triage' %}",
    "<a href=\"{% url 'referrals:board' %}\">{% url 'home' %}</a>",
    "{% url 'referrals:detail' 7 %}",
    "{% url 'referrals:detail' referral_id=pk %}",
    "{% url name %}",
    "{% url 'referrals:triage' as there %}[{{ there }}]",
    "{% url 'no-such-page' as there %}[{{ there }}]",
    "{% autoescape off %}{% url 'referrals:triage' %}{% endautoescape %}",
]


def _ours(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def _djangos(source: str, context: dict) -> str:
    # An engine with Django's built-ins only: its own {% url %}.
    return Engine().from_string(source).render(Context(context))


@pytest.mark.parametrize("source", SOURCES)
def test_the_tag_draws_what_djangos_draws(source):
    context = {"pk": 12, "name": "referrals:mine"}
    assert _ours(source, context) == _djangos(source, context)
    # Drawn again, from what was kept.
    assert _ours(source, context) == _djangos(source, context)


def test_the_projects_templates_use_the_kept_tag():
    from config.template_urls import KeptURLNode

    template = engines["django"].from_string("{% url 'home' %}").template
    assert any(isinstance(node, KeptURLNode) for node in template.nodelist)


def test_a_name_that_does_not_reverse_fails_every_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            _ours("{% url 'no-such-page' %}", {})
        with pytest.raises(NoReverseMatch):
            reverse_fixed("no-such-page")


def test_kept_urls_follow_the_url_configuration(settings):
    assert reverse_fixed("referrals:triage") == reverse("referrals:triage")
    settings.ROOT_URLCONF = "tests.config.urls_moved"
    assert reverse_fixed("referrals:triage") == "/moved" + reverse(
        "referrals:triage", urlconf="config.urls"
    )
    assert _ours("{% url 'referrals:triage' %}", {}) == reverse("referrals:triage")
    assert NavItem("Triage", "referrals:triage").url.startswith("/moved/")


def test_kept_urls_follow_the_script_prefix():
    plain = reverse_fixed("referrals:triage")
    set_script_prefix("/cirs/")
    try:
        assert reverse_fixed("referrals:triage") == "/cirs" + plain
        assert _ours("{% url 'referrals:board' %}", {}) == reverse("referrals:board")
        assert reverse("referrals:board").startswith("/cirs/")
    finally:
        set_script_prefix("/")
    assert reverse_fixed("referrals:triage") == plain


def test_fixed_arguments_are_part_of_the_key():
    assert reverse_fixed("referrals:detail", args=(3,)) == reverse("referrals:detail", args=[3])
    assert reverse_fixed("referrals:detail", args=(4,)) == reverse("referrals:detail", args=[4])
