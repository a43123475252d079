"""One way every list is cut into pages: 50 rows, the total shown, and the filters kept
in the page links (docs/performance.md). ``templates/partials/pager.html`` draws it.

A list whose filters hold a name (the triage search) posts them instead: its page
links are small forms that post the same fields again, so a name never sits in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest

PER_PAGE = 50


@dataclass
class Page:
    rows: list
    number: int
    num_pages: int
    total: int
    first_row: int
    last_row: int
    query: dict = field(default_factory=dict)
    # Fields posted again with each page link (a list whose search must not be in a URL).
    post_fields: list[tuple[str, str]] | None = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    def url(self, number: int) -> str:
        return "?" + urlencode({**self.query, "page": number}, doseq=True)

    @property
    def previous_url(self) -> str:
        return self.url(self.number - 1)

    @property
    def next_url(self) -> str:
        return self.url(self.number + 1)

    @property
    def url_first(self) -> str:
        return self.url(1)

    @property
    def last_url(self) -> str:
        return self.url(self.num_pages)


def paginate(
    request: HttpRequest,
    items,
    *,
    per_page: int = PER_PAGE,
    data=None,
    post_fields: list[tuple[str, str]] | None = None,
) -> Page:
    """The page asked for in ``data`` (default: the query string) of ``items``: one
    COUNT and one LIMIT/OFFSET query for a queryset. The other fields of ``data``
    are kept in the page links."""
    data = request.GET if data is None else data
    paginator = Paginator(items, per_page)
    try:
        page = paginator.page(data.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    query = {
        key: data.getlist(key)
        for key in data
        if key not in ("page", "csrfmiddlewaretoken") and any(data.getlist(key))
    }
    if post_fields is not None:
        query = {}
    total = paginator.count
    return Page(
        rows=list(page.object_list),
        number=page.number,
        num_pages=paginator.num_pages,
        total=total,
        first_row=page.start_index() if total else 0,
        last_row=page.end_index() if total else 0,
        query=query,
        post_fields=post_fields,
    )
