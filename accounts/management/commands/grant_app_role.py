"""Give the application's database role what it needs, and no more
(docs/deployment-security.md, "Two database roles").

Run by the owner role after every ``migrate``: the application role may read and write
the tables, but on the audit log only read and add rows. It owns nothing, so it can
neither TRUNCATE, disable the audit triggers nor drop the table."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Grant the application's PostgreSQL role its privileges (audit log: SELECT, INSERT)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the application connects as")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL set-up.")
        audit = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"There is no database role named {role!r}.")
            quoted = connection.ops.quote_name(role)
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {quoted}",
                f"REVOKE TRUNCATE, TRIGGER ON ALL TABLES IN SCHEMA public FROM {quoted}",
            ):
                cursor.execute(statement)
        self.stdout.write(f"{role}: tables read and written; the audit log read and added to only.")
