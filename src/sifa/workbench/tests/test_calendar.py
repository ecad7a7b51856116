"""The 工作日历 pages: who sees them, the banner from 1 October, entering a notice with every problem
listed at once, editing the draft, and the confirmation before publishing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from sifa.deadlines.models import CalendarNotice, CalendarYear, NoticeStatus
from sifa.organisations.models import Role
from sifa.testing.notices import NOTICE_2027_FORM
from sifa.workbench.tests import world as W

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOTICE = NOTICE_2027_FORM


def _on(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def calendar_admin(w):
    return W.staff("moj-calendar", (w["ministry"], Role.CALENDAR_ADMIN))


def test_only_the_ministry_calendar_administrator_has_the_calendar_pages(login, w, people, calendar_admin):
    provincial = W.staff("zj-calendar", (w["zj"], Role.CALENDAR_ADMIN))
    with _on(dt.date(2026, 12, 7)):
        for user in (people["zj_decider"], provincial):
            client = login(user)
            assert "工作日历</a>" not in client.get("/workbench/").content.decode()
            assert client.get("/workbench/calendar/").status_code == 404
            assert client.get("/workbench/calendar/notices/new/").status_code == 404
        client = login(calendar_admin)
        assert "工作日历</a>" in client.get("/workbench/").content.decode()
        html = client.get("/workbench/calendar/").content.decode()
    assert "2027" in html and "暂定" in html and "chinese-calendar 1.11.0" in html


@pytest.mark.parametrize(
    ("day", "shown"),
    [(dt.date(2026, 9, 30), False), (dt.date(2026, 10, 1), True), (dt.date(2027, 1, 11), True)],
)
def test_the_banner_from_1_october_links_to_the_entry_page(login, w, people, calendar_admin, day, shown):
    with _on(day):
        html = login(calendar_admin).get("/workbench/").content.decode()
        other = login(people["hz_reviewer"]).get("/workbench/").content.decode()
    assert ("2027年放假安排尚未录入" in html) is shown
    assert ('href="/workbench/calendar/notices/new/?year=2027"' in html) is shown
    assert "工作日历提醒" not in other


def test_every_problem_of_the_notice_is_listed_at_once_and_nothing_is_saved(login, w, calendar_admin):
    bad = {
        **NOTICE,
        "document_number": "",
        "holidays": "2026-12-31 元旦\n春节七天\n" + NOTICE["holidays"],
        "makeup_workdays": "2027-01-04 元旦\n2027-02-05 春节",
    }
    with _on(dt.date(2026, 12, 7)):
        response = login(calendar_admin).post("/workbench/calendar/notices/new/", bad)
    assert response.status_code == 400
    html = response.content.decode()
    for message in (
        "请填写通知的文号",
        "放假日期第2行“春节七天”无法识别",
        "2026-12-31 不属于 2027 年",
        "2027-01-04 是星期一，本来就上班，不是调休上班日",
        "2027-02-05 不能既是放假日又是调休上班日",
    ):
        assert message in html, message
    assert 'class="sifa-error-summary"' in html
    assert not CalendarNotice.objects.exists()


def test_a_draft_is_previewed_edited_and_published_only_when_confirmed(
    login, w, calendar_admin, django_capture_on_commit_callbacks
):
    with _on(dt.date(2026, 12, 7)):
        client = login(calendar_admin)
        assert 'value="2027"' in client.get("/workbench/calendar/notices/new/?year=2027").content.decode()
        response = client.post("/workbench/calendar/notices/new/", NOTICE)
        assert response.status_code == 302
        notice = CalendarNotice.objects.get()
        page = client.get(response["Location"]).content.decode()
        assert "国务院办公厅关于2027年部分节假日安排的通知" in page
        assert "2027-01-02" in page and "星期六" in page and "发布2027年放假安排" in page
        edit = client.get(f"/workbench/calendar/notices/{notice.pk}/edit/").content.decode()
        assert "2027-02-05至2027-02-12 春节" in edit
        response = client.post(f"/workbench/calendar/notices/{notice.pk}/publish/", {})
        assert response.status_code == 302
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.DRAFT and not CalendarYear.objects.filter(year=2027).exists()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/workbench/calendar/notices/{notice.pk}/publish/", {"confirmed": "1"})
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.PUBLISHED and notice.recomputed_at is not None
        assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕12号"
        page = client.get(f"/workbench/calendar/notices/{notice.pk}/").content.decode()
        assert "重算" in page and "发布2027年放假安排" not in page
        # Published: no more editing, and the banner is gone.
        response = client.get(f"/workbench/calendar/notices/{notice.pk}/edit/")
        assert response.status_code == 302
        assert "工作日历提醒" not in client.get("/workbench/").content.decode()


def test_an_unknown_notice_is_404(login, w, calendar_admin):
    client = login(calendar_admin)
    assert client.get("/workbench/calendar/notices/999999/").status_code == 404
    assert client.get("/workbench/calendar/notices/abc/").status_code == 404
