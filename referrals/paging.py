"""One way every list is cut into pages: 50 rows, the total shown, and the filters kept
in the page links (docs/performance.md). ``templates/partials/pager.html`` draws it.

A list whose filters hold a name (the triage search) posts them instead: its page
links are small forms that post the same fields again, so a name never sits in a URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, QuerySet, Subquery, Window
from django.http import HttpRequest

from config.prepared import IDS, MOMENT, Prepared, one_group
from referrals.selectors import queue_of, queue_rows, stand_in

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


def _number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class Listing:
    """A person's working list whose two reads are written once (``config.prepared``):
    its page of ids with the total, and the rows of those ids.

    ``items(person, *values)`` builds the list's queryset (filtered, sorted) and
    ``rows(person, ids, *values)`` the page's rows (a ``values()`` queryset). ``kinds``
    says what each value is (``int``, ``str``, ``MOMENT``). The person is a stand-in
    with the account's id and roles (``stand_in``), which is all ``visible_to`` reads of
    a person, so the list is the same rule's. The roles and the page's slice choose the
    statement.

    The total rides along with the page's ids as ``COUNT(*) OVER ()``, or, with
    ``count_apart``, as a count of the same list of its own in the same statement: for
    a long list read from an index alone (the board's open referrals), counting them
    again costs less than carrying every row through the window; for a list filtered
    on the table itself (the queues), reading its filter twice costs more
    (docs/performance.md)."""

    def __init__(
        self,
        items: Callable[..., QuerySet],
        rows: Callable[..., QuerySet],
        kinds: tuple = (),
        *,
        count_apart: bool = False,
    ):
        self.items = items
        self.rows = rows
        self.count_apart = count_apart
        self._ids = Prepared(self._ids_of, kinds=(int, *kinds))
        self._rows = Prepared(self._rows_of, kinds=(IDS, int, *kinds))

    def _ids_of(self, user_id, *values_and_shape):
        *values, roles, start, per_page = values_and_shape
        items = self.items(stand_in(user_id, roles), *values)
        if self.count_apart:
            total = one_group(items).annotate(n=Count("*"))
            counted = items.annotate(_page_total=Subquery(total.values("n")))
        else:
            counted = items.annotate(_page_total=Window(Count("*")))
        return counted.values_list("pk", "_page_total")[start : start + per_page]

    def _rows_of(self, ids, user_id, *values_and_roles):
        *values, roles = values_and_roles
        return self.rows(stand_in(user_id, roles), ids, *values)

    def for_person(self, user, *values) -> ListingCall:
        """The list as ``user`` sees it, with these values (``paginate`` reads it)."""
        return ListingCall(self, user.pk, frozenset(user.roles), values)


@dataclass
class ListingCall:
    listing: Listing
    user_id: int
    roles: frozenset
    values: tuple

    def ids(self, start: int, per_page: int) -> list[tuple[int, int]]:
        shape = (self.roles, start, per_page)
        return self.listing._ids(self.user_id, *self.values, shape=shape)

    def rows(self, ids: list[int]) -> list[dict]:
        return self.listing._rows(ids, self.user_id, *self.values, shape=(self.roles,))

    def count(self) -> int:
        person = stand_in(self.user_id, self.roles)
        return self.listing.items(person, *self.values).count()


def queue_listing(states, columns) -> Listing:
    """A working queue (the triage queue, allocation): the referrals the person may see
    in ``states``, the most urgent first (``selectors.queue_of``), and for a page the
    ``columns`` it shows (``selectors.queue_rows``). ``items`` and ``rows`` of the
    ``Listing`` build the same through the ORM, for a filtered queue."""
    return Listing(
        lambda user, now: queue_of(user, states, now=now),
        lambda user, ids, now: queue_rows(user, ids, columns, now=now),
        kinds=(MOMENT,),
    )


def _page_of_listing(listing: ListingCall, number: int, per_page: int):
    """``_page_of_queryset`` for a ``Listing``: the same two reads, the same order."""

    def read(start: int) -> tuple[list, int]:
        return _in_order(listing.ids(start, per_page), listing.rows)

    return _page(read, listing.count, number, per_page)


def _in_order(found: list[tuple[int, int]], rows_for: Callable) -> tuple[list, int]:
    """A page's rows from its (id, total) pairs: ``rows_for(ids)`` reads them in any
    order, and they are put back in the list's."""
    if not found:
        return [], 0
    ids = [pk for pk, _total in found]
    by_pk = {_pk(row): row for row in rows_for(ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk], found[0][1]


def _page(read: Callable[[int], tuple[list, int]], count: Callable[[], int], number, per_page):
    """The page ``number``: ``read(offset)`` gives its rows and the total. Past the last
    page, one ``count()`` finds the last page and one more read reads it."""
    rows, total = read((number - 1) * per_page)
    if rows:
        return rows, total, number
    total = count() if number > 1 else 0
    if total == 0:
        return [], 0, 1
    last = (total - 1) // per_page + 1
    return read((last - 1) * per_page)[0], total, last


def _page_of_queryset(
    items: QuerySet, number: int, per_page: int, rows_for: Callable | None = None
) -> tuple[list, int, int]:
    """One query for a page and the total (``COUNT(*) OVER ()`` rides along with the
    rows). Past the last page, one COUNT finds the last page and one query reads it.

    With ``rows_for``, that query reads only the page's ids (the list is sorted and
    cut on narrow rows), and ``rows_for(ids)`` reads what the page shows for those ids
    in a second query: the wide rows (joins, JSON, texts) are read for the page only,
    never for the whole list. Its rows (dicts or objects with ``pk``) are put back in
    the list's order here."""

    def read(start: int) -> tuple[list, int]:
        counted = items.annotate(_page_total=Window(Count("*")))
        if rows_for is None:
            page = list(counted[start : start + per_page])
            return page, (page[0]._page_total if page else 0)
        found = list(counted.values_list("pk", "_page_total")[start : start + per_page])
        return _in_order(found, rows_for)

    return _page(read, items.count, number, per_page)


def _pk(row) -> int:
    return row["pk"] if isinstance(row, dict) else row.pk


def paginate(
    request: HttpRequest,
    items,
    *,
    per_page: int = PER_PAGE,
    data=None,
    post_fields: list[tuple[str, str]] | None = None,
    rows_for: Callable[[list[int]], Iterable] | None = None,
) -> Page:
    """The page asked for in ``data`` (default: the query string) of ``items``; for a
    queryset, one query brings the rows and the total. The other fields of ``data``
    are kept in the page links. ``rows_for``: see ``_page_of_queryset``; it gets the
    page's ids (a list) and returns their rows, in any order."""
    data = request.GET if data is None else data
    number = _number(data.get("page"))
    if isinstance(items, ListingCall):
        rows, total, number = _page_of_listing(items, number, per_page)
    elif isinstance(items, QuerySet):
        rows, total, number = _page_of_queryset(items, number, per_page, rows_for)
    else:
        items = list(items)
        total = len(items)
        number = min(number, max(1, (total - 1) // per_page + 1))
        rows = items[(number - 1) * per_page : number * per_page]
    num_pages = max(1, (total - 1) // per_page + 1) if total else 1
    query = {
        key: data.getlist(key)
        for key in data
        if key not in ("page", "csrfmiddlewaretoken") and any(data.getlist(key))
    }
    first_row = (number - 1) * per_page + 1 if total else 0
    return Page(
        rows=rows,
        number=number,
        num_pages=num_pages,
        total=total,
        first_row=first_row,
        last_row=first_row + len(rows) - 1 if total else 0,
        query={} if post_fields is not None else query,
        post_fields=post_fields,
    )
