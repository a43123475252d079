"""The pager every list shows (``rows.pager_html``, ``{% pager %}``): drawn in Python,
the same to the byte as the template it replaced, for every kind of page."""

from __future__ import annotations

import itertools
import re

import pytest
from django.template import engines
from django.template.loader import get_template
from django.test import RequestFactory

from referrals.paging import Page
from referrals.rows import pager_html

# templates/partials/pager.html as it was before the pager was drawn in Python.
TEMPLATE_IT_REPLACED = """{# One pager for every list. #}
<div class="d-flex flex-wrap align-items-center gap-3 my-3" data-testid="pager">
  <p class="mb-0" data-testid="pager-total">{% if page.total %}Showing {{ page.first_row }} to {{ page.last_row }} of {{ page.total }}{% else %}None to show{% endif %}</p>
  {% if page.num_pages > 1 %}
  <nav aria-label="{{ label|default:'Pages' }}">
    {% if page.post_fields is not None %}
    <form method="post" class="d-flex gap-2 mb-0">
      {% csrf_token %}
      {% for name, value in page.post_fields %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
      {% if page.has_previous %}<button class="btn btn-outline-secondary btn-sm" name="page" value="1">First</button><button class="btn btn-outline-secondary btn-sm" name="page" value="{{ page.number|add:'-1' }}" rel="prev">Previous</button>{% endif %}
      <span class="align-self-center">Page {{ page.number }} of {{ page.num_pages }}</span>
      {% if page.has_next %}<button class="btn btn-outline-secondary btn-sm" name="page" value="{{ page.number|add:'1' }}" rel="next">Next</button><button class="btn btn-outline-secondary btn-sm" name="page" value="{{ page.num_pages }}">Last</button>{% endif %}
    </form>
    {% else %}
    <ul class="pagination mb-0">
      {% if page.has_previous %}<li class="page-item"><a class="page-link" href="{{ page.url_first }}">First</a></li><li class="page-item"><a class="page-link" rel="prev" href="{{ page.previous_url }}">Previous</a></li>{% endif %}
      <li class="page-item active" aria-current="page"><span class="page-link">Page {{ page.number }} of {{ page.num_pages }}</span></li>
      {% if page.has_next %}<li class="page-item"><a class="page-link" rel="next" href="{{ page.next_url }}">Next</a></li><li class="page-item"><a class="page-link" href="{{ page.last_url }}">Last</a></li>{% endif %}
    </ul>
    {% endif %}
  </nav>
  {% endif %}
</div>
"""
# Each render masks the CSRF token afresh: compared without its value.
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

PAGES = [
    Page(
        rows=[],
        number=number,
        num_pages=num_pages,
        total=total,
        first_row=(number - 1) * 50 + 1 if total else 0,
        last_row=min(number * 50, total),
        query=query,
        post_fields=post_fields,
    )
    for number, num_pages, total, query, post_fields in itertools.product(
        (1, 2, 3),
        (1, 2, 3),
        (0, 7, 113),
        ({}, {"team": ["3"], "q": ["a&b", '<"c">']}),
        (None, [], [("search", 'Sam <"O\'Neil">'), ("page_size", "50")]),
    )
]


def _masked(html: str) -> str:
    return _TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


@pytest.mark.parametrize("label", ["", "Pages of the <board> & more"])
def test_the_pager_is_the_template_it_replaced_to_the_byte(label):
    request = RequestFactory().get("/referrals/board/")
    replaced = engines["django"].from_string(TEMPLATE_IT_REPLACED)
    pager = get_template("partials/pager.html")
    for page in PAGES:
        context = {"page": page, "label": label} if label else {"page": page}
        was, now = replaced.render(context, request), pager.render(context, request)
        assert _masked(now) == _masked(was), page
        assert ("csrfmiddlewaretoken" in now) == ("csrfmiddlewaretoken" in was)


def test_a_posted_pager_carries_the_token_and_the_fields_escaped():
    page = Page(
        rows=[],
        number=2,
        num_pages=3,
        total=120,
        first_row=51,
        last_row=100,
        post_fields=[("search", '<script>"x"</script>')],
    )
    html = pager_html(page, "Pages", csrf_token="tok<en>")
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="tok&lt;en&gt;">' in html
    assert 'value="&lt;script&gt;&quot;x&quot;&lt;/script&gt;"' in html
    assert '<button class="btn btn-outline-secondary btn-sm" name="page" value="1">First' in html
    assert 'value="3" rel="next">Next' in html
    assert "<script>" not in html
    # Without a token (a page drawn outside a request) the form has none.
    assert "csrfmiddlewaretoken" not in pager_html(page, "Pages")


def test_a_pager_of_links_keeps_the_filters_and_one_page_shows_only_the_total():
    page = Page(
        rows=[], number=2, num_pages=2, total=60, first_row=51, last_row=60, query={"team": ["4"]}
    )
    html = pager_html(page, "Pages of the board")
    assert 'href="?team=4&amp;page=1">First' in html
    assert 'rel="prev" href="?team=4&amp;page=1">Previous' in html
    assert "Next" not in html and "Last" not in html
    assert "Showing 51 to 60 of 60" in html
    one = Page(rows=[], number=1, num_pages=1, total=0, first_row=0, last_row=0)
    assert "None to show" in pager_html(one) and "<nav" not in pager_html(one)
