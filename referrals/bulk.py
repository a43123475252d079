"""Many rows in one INSERT, saying which went in: the sweep's claims, outbox rows and
in-app notices (docs/performance.md).

``bulk_create`` cannot say which rows a unique key turned away, and it spends more
time building model instances and one placeholder per value than the database spends
on the insert. ``insert_rows`` takes plain dicts; on PostgreSQL it sends one array per
column (``INSERT ... SELECT FROM unnest(...)``), elsewhere a ``VALUES`` list.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from django.db import connection

# SQLite allows 32,766 placeholders in one statement; stay well under it.
_MAX_VALUES = 20_000
# Columns whose Python values PostgreSQL's driver sends as they are.
_PLAIN = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


@contextmanager
def _binding_apart():
    """A cursor of the connection that sends its values apart from the statement
    (psycopg's server-side binding), for this statement only: Django's cursors write
    every value into the SQL text (client-side binding, Django's default), and quoting
    thousands of e-mail bodies into array literals cost the sweep about a fifth of its
    time. Apart, each array goes in PostgreSQL's binary form (``%b``): no quoting at all
    (docs/performance.md, "Many rows in one statement"). The cursor is Django's own, so
    it is counted and logged as any other."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    usual = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        cursor = connection.cursor()
    finally:
        raw.cursor_factory = usual
    with cursor:
        yield cursor


def insert_rows(
    model, rows: Sequence[dict], *, returning: Sequence[str] = (), skip_conflicts: bool = False
) -> list[tuple]:
    """Insert ``rows`` of ``model`` in one statement (a few on SQLite for many rows).
    Each row maps column names (``referral_id`` for a foreign key) to values; a column
    left out takes its default. ``skip_conflicts``: a row that would break a unique key
    is left out (``ON CONFLICT DO NOTHING``; PostgreSQL first waits for a transaction
    holding the same key to end). Returns ``returning`` of each row inserted."""
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    unknown = set().union(*rows) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{meta.label} has no column {', '.join(sorted(unknown))}")
    defaults = {f.attname: f.get_default() for f in fields}
    plain = [f.get_internal_type() in _PLAIN for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(quote(meta.get_field(n).column) for n in returning)
    # Only quoted names, column types and placeholders go into the text; the values
    # are params.
    if connection.vendor == "postgresql":
        # One array per column; a column with the same value in every row (a status, a
        # moment) goes once, as a plain value, which saves the driver most of its work.
        selected, arrays, scalars, params = [], [], [], []
        for field, as_is in zip(fields, plain, strict=True):
            values = [row.get(field.attname, defaults[field.attname]) for row in rows]
            if not as_is:
                values = [field.get_db_prep_save(v, connection) for v in values]
            db_type = field.db_type(connection)
            if all(v == values[0] for v in values):
                selected.append(f"%s::{db_type}")
                scalars.append(values[0])
            else:
                selected.append(f"u.c{len(arrays)}")
                arrays.append((f"%b::{db_type}[]", values))
        names = ", ".join(f"c{n}" for n in range(len(arrays)))
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {', '.join(selected)} FROM "
            + (
                f"unnest({', '.join(a for a, _ in arrays)}) AS u({names})"
                if arrays
                else f"generate_series(1, {len(rows)})"
            )
            + tail
        )
        params = scalars + [values for _, values in arrays]
        with _binding_apart() as cursor:
            cursor.execute(sql, params)
            return [tuple(r) for r in cursor.fetchall()] if returning else []
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    step = max(1, _MAX_VALUES // len(fields))
    found: list[tuple] = []
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        sql += ", ".join([placeholders] * len(chunk)) + tail
        params = [
            field.get_db_prep_save(row.get(field.attname, defaults[field.attname]), connection)
            for row in chunk
            for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                found += [tuple(r) for r in cursor.fetchall()]
    return found
