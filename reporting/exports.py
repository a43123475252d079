"""The monitoring report as PDF (WeasyPrint, tagged for accessibility), CSV and XLSX.

All three are drawn from the same ``Section`` list as the dashboard, so they carry
exactly the same anonymous figures and nothing else.
"""

from __future__ import annotations

import csv
import io
import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from reporting.figures import MonitoringFigures
from reporting.sections import Section, build_sections

# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def filename(figures: MonitoringFigures, extension: str) -> str:
    period = figures.period
    return f"cirs-monitoring-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.{extension}"


def _generated(figures: MonitoringFigures) -> str:
    return f"{timezone.localtime(figures.generated_at):%-d %B %Y at %H:%M}"


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _table(section: Section) -> list[list]:
    rows = [section.headers, *section.rows]
    if section.footer:
        rows.append(section.footer)
    return [[_safe(value) for value in row] for row in rows]


def report_html(figures: MonitoringFigures, sections: list[Section] | None = None) -> str:
    """The HTML the PDF is printed from (print CSS, no JavaScript)."""
    return render_to_string(
        "reporting/pdf/report.html",
        {
            "figures": figures,
            "sections": sections if sections is not None else build_sections(figures),
            "generated": _generated(figures),
            "service_name": settings.CIRS_SERVICE_NAME,
        },
    )


def report_pdf(figures: MonitoringFigures, sections: list[Section] | None = None) -> bytes:
    html = report_html(figures, sections)
    # PDF/UA-1: a tagged PDF with its title and language, readable by screen readers.
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def report_csv(figures: MonitoringFigures, sections: list[Section] | None = None) -> str:
    sections = sections if sections is not None else build_sections(figures)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{settings.CIRS_SERVICE_NAME}: monitoring report"])
    writer.writerow(["Period", figures.period.label])
    writer.writerow(["Generated", _generated(figures)])
    for section in sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerows(_table(section))
        for note in section.notes:
            writer.writerow([note])
    return out.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_UNSAFE.sub(" ", title)[:28].strip()
    name, n = base, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def report_xlsx(figures: MonitoringFigures, sections: list[Section] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sections = sections if sections is not None else build_sections(figures)
    book = Workbook()
    about = book.active
    about.title = "About"
    about.append([f"{settings.CIRS_SERVICE_NAME}: monitoring report"])
    about.append(["Period", figures.period.label])
    about.append(["Generated", _generated(figures)])
    about["A1"].font = Font(bold=True)
    used = {"About"}
    for section in sections:
        sheet = book.create_sheet(_sheet_title(section.title, used))
        sheet.append([section.title])
        sheet.append([section.explanation])
        sheet.append([])
        for row in _table(section):
            sheet.append(row)
        for note in section.notes:
            sheet.append([note])
        sheet["A1"].font = Font(bold=True)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 45
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
