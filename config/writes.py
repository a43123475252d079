"""The two writes every page makes, with their SQL written once per process
(docs/performance.md, "The parts every page draws, kept").

A page that shows referrals writes its read-audit row, and every signed-in page saves
its session (the last-seen stamp). Through the ORM each write builds a query, a
compiler and its SQL again (about half a millisecond of Python on a slow host, for a
database that takes a fifth of that). Here the SQL of a model's insert, and of an
update by primary key of a given set of columns, is written once, from the model's own
fields, and each call only prepares its values, as the ORM prepares them
(``Field.pre_save`` and ``Field.get_db_prep_save``). ``Prepared`` (config/prepared.py)
does the same for reads.

The model's ``pre_save`` and ``post_save`` signals are sent as ``Model.save`` sends them,
and a related object that was never saved is refused as ``Model.save`` refuses it.
``tests/config/test_writes.py`` checks that the rows are the ORM's, column for column,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

_kept: dict[tuple, tuple] = {}


def _insert_statement(model, using: str) -> tuple:
    key = ("insert", model, using, connections[using].vendor)
    kept = _kept.get(key)
    if kept is None:
        connection = connections[using]
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [
            field
            for field in meta.local_concrete_fields
            if field is not meta.auto_field and not getattr(field, "generated", False)
        ]
        columns = ", ".join(quote(field.column) for field in fields)
        holes = ", ".join(["%s"] * len(fields))
        # Names from the model's meta, quoted; the values are parameters.
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({holes})"  # noqa: S608
        returns = connection.features.can_return_columns_from_insert
        if returns:
            sql += f" RETURNING {quote(meta.auto_field.column)}"
        kept = _kept[key] = (sql, fields, returns)
    return kept


def insert_new(obj, *, using: str | None = None) -> None:
    """``obj.save()`` for a new row (its primary key made by the database): one INSERT,
    the primary key read back, the instance marked saved."""
    model = type(obj)
    if model._meta.auto_field is None or model._meta.parents:
        # A key the caller chooses, or a parent model's table, is Model.save's to write.
        raise ValueError(f"insert_new writes one table with a database-made key, not {model}")
    if obj.pk is not None:
        raise ValueError("insert_new is for a new row: this one has its primary key")
    using = using or router.db_for_write(model, instance=obj)
    obj._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    connection = connections[using]
    sql, fields, returns = _insert_statement(model, using)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    # As the ORM: an error inside an atomic block marks it for rollback.
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returns:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(
                cursor, model._meta.db_table, model._meta.auto_field.column
            )
    setattr(obj, model._meta.auto_field.attname, pk)
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )


def _update_statement(model, names: tuple[str, ...], using: str) -> tuple:
    key = ("update", model, names, using, connections[using].vendor)
    kept = _kept.get(key)
    if kept is None:
        meta = model._meta
        quote = connections[using].ops.quote_name
        fields = [meta.get_field(name) for name in names]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        table, key_column = quote(meta.db_table), quote(meta.pk.column)
        # Names from the model's meta, quoted; the values are parameters.
        sql = f"UPDATE {table} SET {assignments} WHERE {key_column} = %s"  # noqa: S608
        kept = _kept[key] = (sql, fields)
    return kept


def update_by_pk(model, pk, *, using: str | None = None, **values) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` for plain values (no
    expressions): the number of rows updated, 0 or 1."""
    using = using or router.db_for_write(model)
    connection = connections[using]
    sql, fields = _update_statement(model, tuple(values), using)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    params.append(model._meta.pk.get_db_prep_value(pk, connection))
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
