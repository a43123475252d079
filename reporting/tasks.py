"""Celery tasks for monitoring: thin, each calls a plain function of
``reporting/background.py`` that is tested directly."""

from __future__ import annotations

from celery import shared_task

from reporting import background


@shared_task(acks_late=True)
def build_report_export(export_id: int) -> bool:
    return background.build_export(export_id)


@shared_task(acks_late=True)
def delete_old_report_exports() -> int:
    return background.delete_old_exports()
