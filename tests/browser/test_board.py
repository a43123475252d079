"""The PSW opens the oversight board in Chromium, filters it, and downloads the rows
shown as CSV; the download is audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals import services
from referrals.models import Referral
from tests.factories import TeamFactory, referral_data

PASSWORD = "lanterns over the harbour at midnight"
S = Referral.State


@pytest.fixture
def board_data(flow, settings):
    """Made before the browser starts (see tests/browser/conftest.py)."""
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    flow.psw.set_password(PASSWORD)
    flow.psw.save()
    waiting = flow.referral(S.SUBMITTED)
    active = flow.referral(S.ACTIVE, sessions=2)
    other_team = TeamFactory(name="Fostering")
    other = services.save_referral_draft(by=flow.manager, data=referral_data(other_team))
    services.submit_referral(referral_id=other.pk, by=flow.manager)
    return {"waiting": waiting, "active": active, "other": other}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_psw_filters_the_board_and_downloads_it(live_server, flow, board_data, open_tab):
    tab = open_tab()
    assert tab.sign_in(flow.psw.username, PASSWORD) == []
    page = tab.page
    page.get_by_role("link", name="Oversight board").click()
    page.get_by_role("heading", name="Oversight board").wait_for()
    rows = page.get_by_test_id("board-row")
    assert rows.count() == 3
    assert "Showing 1 to 3 of 3" in page.get_by_test_id("pager-total").first.inner_text()

    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**state=active**")
    assert rows.count() == 1
    assert board_data["active"].reference in rows.first.inner_text()
    assert "2 of 3" in rows.first.inner_text()

    with page.expect_download() as download_info:
        page.get_by_test_id("board-export").click()
    download = download_info.value
    lines = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [line[0] for line in lines[1:]] == [board_data["active"].reference]
    assert tab.problems() == []
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.user_id == flow.psw.pk
    assert "state=active" in event.detail
    assert reverse("referrals:board_csv") in event.path
    assert event.object_ids == str(board_data["active"].pk)
