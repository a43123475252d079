"""Reads whose SQL the ORM writes once per process (docs/performance.md, "Statements
written once").

Every page runs the same few reads for the person signed in: their account and roles,
their unread notices. Django builds each queryset's SQL again on every request, and for
these small reads that costs more than the database does (about 2 ms of Python for a
0.3 ms query). ``Prepared`` asks the ORM for the SQL once, with placeholder values, and
afterwards runs that SQL with each call's values, converting the results as the ORM
would. The queryset stays the one source of truth; only its writing is kept.

    unread = Prepared(lambda user_id: Notification.objects.filter(user_id=user_id).values_list("pk"))
    unread(request.user.pk)  # -> [(1,), (2,)]

The arguments must be integers or strings: the placeholder values are numbers and
texts no real row holds, found again among the SQL's parameters. A build whose SQL does
not carry each placeholder as a parameter is refused when it is first compiled.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Placeholders: integers inside a 32-bit column's range (Django drops a lookup whose
# value is out of range) that no id takes, and texts no form accepts.
_INT_MARK = -2_000_000_000
_TEXT_MARK = "\x00cirs-prepared-{}\x00"


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], *, kinds: tuple[type, ...] | None = None):
        """``build`` takes the call's arguments and returns a queryset (usually a
        ``values_list``). ``kinds``: int or str for each argument (all int by default)."""
        self.build = build
        arity = len(inspect.signature(build).parameters)
        self.kinds = kinds or (int,) * arity
        if len(self.kinds) != arity:
            raise ValueError("Prepared: one kind for each argument of the build")
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _marks(self) -> list:
        return [
            _INT_MARK - n if kind is int else _TEXT_MARK.format(n)
            for n, kind in enumerate(self.kinds)
        ]

    def _compile(self, using: str) -> tuple:
        marks = self._marks()
        compiler = self.build(*marks).query.get_compiler(using)
        sql, params = compiler.as_sql()
        slots = []
        seen = set()
        for param in params:
            try:
                index = marks.index(param) if type(param) in (int, str) else None
            except ValueError:
                index = None
            if index is not None:
                seen.add(index)
            slots.append((index, param))
        if len(seen) != len(marks):
            raise ValueError(f"Prepared: not every argument reached the SQL: {sql}")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        return sql, slots, compiler, compiler.get_converters(fields)

    def __call__(self, *values, using: str = "default") -> list[tuple]:
        key = f"{using}:{connections[using].vendor}"
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        sql, slots, compiler, converters = compiled
        params = [param if index is None else values[index] for index, param in slots]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]
