"""docs/security-checklist.md row 14: the service lead reaches only aggregate endpoints, and those
hold no referral reference, no name and no free text. (The per-referral half, a 404
on every per-referral route, is in test_url_matrix.py.)

tests/reporting/test_dashboard_views.py checks the dashboard, CSV, XLSX and the HTML
the PDF is printed from on a full quarter; this checks the downloaded files themselves,
the PDF included, over the current quarter holding our referrals.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
import zlib

from django.urls import reverse

from tests.security.conftest import MARKERS, World

ENDPOINTS = (
    "reporting:dashboard",
    "reporting:report_csv",
    "reporting:report_xlsx",
    "reporting:report_pdf",
)


def _readable(body: bytes, content_type: str) -> str:
    """The text a reader of the file could get at: XML parts of an XLSX, the inflated
    streams and metadata of a PDF."""
    if "spreadsheetml" in content_type:
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return " ".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    if content_type.startswith("application/pdf"):
        parts = [body]
        for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(match.group(1)))
        return b" ".join(parts).decode("latin-1")
    return body.decode()


def test_the_aggregate_endpoints_hold_no_reference_name_or_free_text(client, world: World):
    referrals = [t.referral for t in world.targets]
    people = [
        world.users[p]
        for p in ("manager", "other_manager", "therapist", "staff_member", "far_therapist")
    ]
    forbidden = [
        *MARKERS.values(),
        *(r.reference for r in referrals),
        *(r.staff_name for r in referrals if r.staff_name),
        *(u.get_full_name() for u in people),
        "More sessions would help.",  # the review's reason, free text
    ]
    client.force_login(world.users["service_lead"])

    checked = 0
    for name in ENDPOINTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        text = _readable(response.content, response["Content-Type"])
        leaks = [value for value in forbidden if value in text]
        assert leaks == [], name
        assert not re.search(r"CIRS-\d", text), name
        assert not re.search(r"/(referrals|cases)/\d+/", text), name
        checked += 1

    assert checked == len(ENDPOINTS)


def test_the_dashboard_counts_our_referrals_without_naming_them(client, world: World):
    client.force_login(world.users["service_lead"])

    response = client.get(reverse("reporting:dashboard"))

    figures = response.context["figures"]
    assert figures.referrals_total >= 2  # ours and theirs are counted...
    assert world.ours.referral.reference not in response.content.decode()  # ...not named
