"""Reads whose SQL the ORM writes once per process (docs/performance.md, "Statements
written once").

Every page runs the same few reads: the person signed in and their roles, their
unread notices, a list's page of ids and its rows. Django builds each queryset and its
SQL again on every request, and for these reads that costs more than the database does
(about 2 ms of Python for a 0.3 ms query). ``Prepared`` asks the ORM for the SQL once,
with placeholder values, and afterwards runs that SQL with each call's values,
converting the results as the ORM would. The queryset stays the one source of truth;
only its writing is kept.

    unread = Prepared(lambda user_id: Notification.objects.filter(user_id=user_id).values_list("pk"))
    unread(request.user.pk)  # -> [(1,), (2,)]

Each argument has a kind (``kinds``): ``int`` and ``str`` (the default is int), ``MOMENT``
(an aware datetime: "now"; its local date may appear in the SQL too, as "today"), and
``IDS`` (a list of ints, for ``pk__in``, or better for ``AnyOf``: see there). The placeholder
values are numbers, texts, moments and days no real row holds. The SQL is written twice,
with two sets of placeholders, and refused unless the two differ only where the
placeholders are: so a value the build works out from an argument (``"%" + name + "%"``,
``now - 3 days``) or writes into the SQL itself is caught the first time, not used
silently. ``shape`` (hashable, passed to the build after the values) chooses between
statements: which filters are on, which slice of a list.

A ``values()`` queryset gives dicts and a ``values_list()`` one tuples, as the ORM does.
A queryset of models gives model instances, built as the ORM builds them: with the
rows its ``select_related`` joined and its annotations. It may not ``prefetch_related``
(that is more queries) or come from a related manager (``referral.transitions``:
filter by the referral's id instead).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connections
from django.db.models import QuerySet, Value
from django.db.models.lookups import In
from django.db.models.query import (
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.utils import timezone


class _Kind:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# Statements kept by one ``Prepared`` (each shape and length is one).
KEPT_STATEMENTS = 256

MOMENT = _Kind("MOMENT")
IDS = _Kind("IDS")

# Placeholders: integers inside a 32-bit column's range (Django drops a lookup whose
# value is out of range) that no id takes, texts no form accepts, moments and days a
# century before the service. Two sets (0 and 1), to compare.
_INT_MARK = (-2_000_000_000, -2_100_000_000)
_TEXT_MARK = ("\x00cirs-a-{}\x00", "\x00cirs-b-{}\x00")
_MOMENT_YEAR = (1901, 1902)


def _mark(kind, n: int, which: int, length: int = 0):
    if kind is int:
        return _INT_MARK[which] - n * 1000
    if kind is str:
        return _TEXT_MARK[which].format(n)
    if kind is MOMENT:
        return datetime(_MOMENT_YEAR[which], 1 + n, 10, 12, 0, tzinfo=UTC)
    if kind is IDS:
        return [_INT_MARK[which] - n * 1000 - 1 - i for i in range(length)]
    raise ValueError(f"Prepared: unknown kind {kind!r}")


def _forms(kind, value, ops) -> list[tuple[object, Callable]]:
    """How a value of this kind may appear among the SQL's parameters, each with the
    function that gives the same form of the call's value."""
    if kind is MOMENT:
        return [
            (value, lambda v: v),
            (ops.adapt_datetimefield_value(value), ops.adapt_datetimefield_value),
            (timezone.localdate(value), timezone.localdate),
            (
                ops.adapt_datefield_value(timezone.localdate(value)),
                lambda v: ops.adapt_datefield_value(timezone.localdate(v)),
            ),
        ]
    return [(value, lambda v: v)]


def one_group(queryset: QuerySet) -> QuerySet:
    """Every row of ``queryset`` in one group, to annotate with aggregates over all of
    it: ``aggregate()`` as a queryset, which a statement of its own (a subquery) or a
    ``Prepared`` read can hold. No row at all gives no group, where ``aggregate()``
    would give one row of zeros."""
    return queryset.order_by().annotate(_all=Value(1)).values("_all")


class AnyOf(In):
    """``field IN (ids)`` whose ids are one parameter on PostgreSQL: ``id = ANY(%s)``
    with the list as an array, not a placeholder per id. The statement is then the
    same whatever the page's length, and short enough for psycopg to keep its parsing
    of it (psycopg splits again, at every call, a statement with more than 50
    parameters: a page of 50 ids had 63). Other databases write ``IN`` as ``In``
    does. Used as an expression: ``.filter(AnyOf(F("pk"), ids))``."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = f"{self.lhs.output_field.cast_db_type(connection)}[]"
        return f"{lhs} = ANY(%s::{array})", (*lhs_params, [int(pk) for pk in self.rhs])


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], *, kinds: tuple | None = None):
        """``build`` takes the call's values (then the ``shape``, if any) and returns a
        queryset. ``kinds``: one for each value (all int by default)."""
        self.build = build
        self.kinds = kinds
        if kinds is None:
            arity = len(inspect.signature(build).parameters)
            self.kinds = (int,) * arity
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def _marks(self, which: int, lengths: tuple[int, ...]) -> list:
        return [
            _mark(kind, n, which, length)
            for n, (kind, length) in enumerate(zip(self.kinds, lengths, strict=True))
        ]

    def _write(self, marks: list, shape: tuple, using: str):
        queryset = self.build(*marks, *shape)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        return queryset, compiler, sql, list(params)

    def _compile(self, shape: tuple, lengths: tuple[int, ...], using: str) -> tuple:
        ops = connections[using].ops
        marks = [self._marks(0, lengths), self._marks(1, lengths)]
        queryset, compiler, sql, params = self._write(marks[0], shape, using)
        _other, _c, other_sql, other_params = self._write(marks[1], shape, using)
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError(f"Prepared: a value is written into the SQL itself: {sql}")
        # Where each placeholder's forms stand: (argument, list index or None, form).
        known = {}
        for n, kind in enumerate(self.kinds):
            pairs = (
                zip(marks[0][n], marks[1][n], strict=True)
                if kind is IDS
                else [(marks[0][n], marks[1][n])]
            )
            if kind is IDS:
                # The whole list as one parameter (``AnyOf`` on PostgreSQL).
                known[("ids", tuple(marks[0][n]), tuple(marks[1][n]))] = (n, None, list)
            for index, (a, b) in enumerate(pairs):
                for (form_a, convert), (form_b, _) in zip(
                    _forms(kind, a, ops), _forms(kind, b, ops), strict=True
                ):
                    known[(type(form_a), form_a, type(form_b), form_b)] = (
                        n,
                        index if kind is IDS else None,
                        convert,
                    )
        slots, seen = [], set()
        for a, b in zip(params, other_params, strict=True):
            if isinstance(a, list) and isinstance(b, list):
                slot = known.get(("ids", tuple(a), tuple(b)))
            else:
                slot = known.get((type(a), a, type(b), b)) if _hashable(a, b) else None
            if slot is not None:
                seen.add(slot[0])
                slots.append(slot)
            elif a == b:
                slots.append((None, None, a))
            else:
                raise ValueError(
                    f"Prepared: a value worked out from an argument is in the SQL ({a!r}): {sql}"
                )
        if len(seen) != len(self.kinds):
            raise ValueError(f"Prepared: not every argument reached the SQL: {sql}")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        shaper = _shaper(queryset, compiler, using)
        return sql, slots, compiler, compiler.get_converters(fields), shaper

    def __call__(self, *values, shape: tuple = (), using: str = "default") -> list:
        lengths = tuple(
            len(value) if kind is IDS else 0 for kind, value in zip(self.kinds, values, strict=True)
        )
        key = (using, connections[using].vendor, shape, lengths)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(shape, lengths, using)
                if len(self._compiled) >= KEPT_STATEMENTS:
                    # The oldest goes: a list read page by page keeps a statement a
                    # page, and a process should not keep them all.
                    del self._compiled[next(iter(self._compiled))]
                self._compiled[key] = compiled
        sql, slots, compiler, converters, shaper = compiled
        params = []
        for n, index, form in slots:
            if n is None:
                params.append(form)
            else:
                value = values[n] if index is None else values[n][index]
                params.append(form(value))
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [shaper(row) for row in rows]


def _shaper(queryset: QuerySet, compiler, using: str) -> Callable:
    """What one row becomes: as the queryset's own iterable makes it (a dict, a tuple, or
    a model instance with its joined rows and annotations, as ``ModelIterable`` does)."""
    iterable = queryset._iterable_class
    if iterable is ValuesIterable:
        query = queryset.query
        # As Django's ValuesIterable: the columns in the order values() named them
        # (an annotation may come before a field), else extras, fields, annotations.
        if query.selected:
            names = list(query.selected)
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return lambda row: dict(zip(names, row, strict=True))
    if iterable is ValuesListIterable:
        return tuple
    if iterable is not ModelIterable:
        raise ValueError(f"Prepared: rows made by {iterable.__name__} are not kept")
    if queryset._prefetch_related_lookups or queryset._known_related_objects:
        raise ValueError(
            "Prepared: a queryset that prefetches, or a related manager's, is not kept"
        )
    select, klass_info = compiler.select, compiler.klass_info
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    related = get_related_populators(klass_info, select, using)
    annotations = list(compiler.annotation_col_map.items())

    def instance(row):
        obj = model.from_db(using, init_list, row[start:end])
        for populator in related:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        return obj

    return instance


def _hashable(*values) -> bool:
    try:
        for value in values:
            hash(value)
    except TypeError:
        return False
    return True
