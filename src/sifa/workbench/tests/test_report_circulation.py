"""The 绩效通报 reaches the organisations it 通报-s, and a wrong one is withdrawn (撤销).

* Staff of every organisation in the issuer's subtree read an issued 通报 (``/api/v1/documents/…``),
  each read audited (``documents.read``); the supervisors below find it on their dashboard under
  上级通报. Another province's staff, a sibling city, a citizen and forged ids get 404.
* The issuer's supervisor or decision maker withdraws it with a reason (button without JavaScript,
  or the API command): kept, marked 已撤销 (reason, who, when; audited), said so by the document API
  and the PDF's header; the month can then be issued again with the next number.

The world of ``test_indicators``: 司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局, 宁波市司法局
beside 杭州; today 2025-09-01 (issuing travels to the real tomorrow, see ``REAL_TODAY``).
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest

from sifa.audit.models import AuditEvent
from sifa.documents.models import Document
from sifa.organisations.models import Role
from sifa.testing.clock import travel
from sifa.testing.tree import tree
from sifa.workbench.tests import world as W
from sifa.workbench.tests.test_indicators import REAL_TODAY, api_issue

URL = "/workbench/indicators/"
WITHDRAW = "/workbench/indicators/withdraw/"
REASON = "收件数统计口径有误，予以撤销，更正后重新印发。"


@pytest.fixture
def issuing_day(w):
    with travel(REAL_TODAY):
        yield REAL_TODAY


@pytest.fixture
def staff(w):
    return {
        "province": W.staff("rc-province", (w["zj"], Role.SUPERVISOR)),
        "city": W.staff("rc-city", (w["hz"], Role.SUPERVISOR)),
        "city_head": W.staff("rc-city-head", (w["hz"], Role.DECISION_MAKER)),
        "county": W.staff("rc-county", (w["xh"], Role.SUPERVISOR)),
        "county_clerk": W.staff("rc-county-clerk", (w["xh"], Role.WINDOW_CLERK)),
        "ministry": W.staff("rc-ministry", (w["ministry"], Role.SUPERVISOR)),
        "ningbo": W.staff("rc-ningbo", (w["nb"], Role.SUPERVISOR)),
    }


def api_withdraw(org, period: str) -> str:
    return f"/api/v1/indicators/report/{org.pk}/{period}/commands/withdraw/"


def doc_url(document, pdf: bool = False) -> str:
    return f"/api/v1/documents/{document.public_id}/{'pdf/' if pdf else ''}"


def test_the_organisations_below_read_the_provinces_report(login, client, staff, w, issuing_day):
    issued = login(staff["province"]).post(api_issue(w["zj"], "2025-08"))
    assert issued.status_code == 201
    document = Document.objects.get(kind="performance_report", organisation=w["zj"])

    for who in ("city", "county", "county_clerk"):  # every level below, any role
        client = login(staff[who])
        pdf = client.get(doc_url(document, pdf=True))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf["X-Sifa-Document-Status"] == "issued"
        detail = client.get(doc_url(document)).json()
        assert (detail["number"], detail["status"], detail["status_label"]) == (
            document.number,
            "issued",
            "有效",
        )
        reads = AuditEvent.objects.filter(
            action="documents.read", object_id=str(document.public_id), actor=staff[who]
        )
        assert reads.count() == 2  # the PDF and the particulars, each on record

    # the supervisors below find it on their dashboard, under 上级通报
    page = login(staff["county"]).get(URL, {"period": "2025-08"}).content.decode()
    assert "上级通报" in page and f'data-circulated="{document.number}"' in page
    assert f"/api/v1/documents/{document.public_id}/pdf/" in page
    # every member of staff below finds it on the worklist too, whatever their role
    worklist = login(staff["county_clerk"]).get("/workbench/").content.decode()
    assert "上级通报" in worklist and f'data-circulated="{document.number}"' in worklist
    # the province's own dashboard does not list its own 通报 as one from above
    own = login(staff["province"]).get(URL, {"period": "2025-08"}).content.decode()
    assert f'data-circulated="{document.number}"' not in own
    assert document.number not in login(staff["province"]).get("/workbench/").content.decode()

    # nobody outside the issuer's subtree: another province, a citizen, forged ids
    other = tree("js", on={"ministry": w["ministry"]})
    jiangsu = W.staff("rc-jiangsu", (other["js"], Role.SUPERVISOR))
    citizen = W.citizen("rc-citizen")
    for outsider in (jiangsu, citizen):
        if outsider is citizen:
            client.logout()
            client.force_login(citizen)
        else:
            client = login(outsider)
        for url in (doc_url(document), doc_url(document, pdf=True)):
            response = client.get(url)
            assert (response.status_code, response.json()["code"]) == (404, "documents.not_found")
    client = login(staff["county"])
    for forged in (str(uuid.uuid4()), "1", "../../etc/passwd", "x" * 300):
        assert client.get(f"/api/v1/documents/{forged}/").status_code == 404
        assert client.get(f"/api/v1/documents/{forged}/pdf/").status_code == 404
    assert not AuditEvent.objects.filter(action="documents.read", actor=jiangsu).exists()


def test_a_citys_report_reaches_its_counties_not_the_neighbour_city(login, staff, w, issuing_day):
    assert login(staff["city"]).post(api_issue(w["hz"], "2025-08")).status_code == 201
    document = Document.objects.get(kind="performance_report", organisation=w["hz"])
    assert login(staff["county_clerk"]).get(doc_url(document, pdf=True)).status_code == 200
    assert login(staff["ningbo"]).get(doc_url(document, pdf=True)).status_code == 404  # a sibling city
    assert login(staff["province"]).get(doc_url(document)).status_code == 200  # above, in its subtree
    ningbo_page = login(staff["ningbo"]).get(URL, {"period": "2025-08"}).content.decode()
    assert document.number not in ningbo_page


def test_a_wrong_report_is_withdrawn_kept_and_issued_again_with_the_next_number(login, staff, w, issuing_day):
    city = login(staff["city"])
    first = city.post(api_issue(w["hz"], "2025-08")).json()
    document = Document.objects.get(public_id=first["document"])
    page = city.get(URL, {"organisation": w["hz"].pk, "period": "2025-08"}).content.decode()
    assert f'action="{WITHDRAW}"' in page and "撤销理由" in page

    # who may not: the level above (reads, does not act in the city's name), a clerk, another city
    refused = login(staff["province"]).post(
        api_withdraw(w["hz"], "2025-08"), {"reason": REASON}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "indicators.not_issuer")
    refused = login(staff["ningbo"]).post(api_withdraw(w["hz"], "2025-08"), {"reason": REASON}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (404, "indicators.not_found")
    refused = login(staff["county_clerk"]).post(WITHDRAW, {"organisation": w["hz"].pk, "period": "2025-08"})
    assert refused.status_code == 404
    # a reason is required
    city = login(staff["city_head"])
    short = city.post(api_withdraw(w["hz"], "2025-08"), {"reason": "错"}, format="json")
    assert (short.status_code, short.json()["code"]) == (400, "documents.withdrawal_reason")
    empty = city.post(api_withdraw(w["hz"], "2025-08"), {}, format="json")
    assert empty.status_code == 400
    assert Document.objects.get(pk=document.pk).withdrawn_at is None

    # the decision maker withdraws it with the button (a plain form post)
    done = city.post(
        WITHDRAW, {"organisation": w["hz"].pk, "period": "2025-08", "reason": REASON}, follow=True
    )
    body = done.content.decode()
    assert done.status_code == 200 and "已撤销" in body and f'data-withdrawn="{document.number}"' in body
    assert f'action="{WITHDRAW}"' not in body and 'action="/workbench/indicators/issue/"' in body
    kept = Document.objects.get(pk=document.pk)  # never deleted
    assert kept.withdrawn_at is not None and kept.withdrawn_by == staff["city_head"]
    assert kept.withdrawal_reason == REASON
    event = AuditEvent.objects.get(action="documents.withdraw", object_id=str(document.public_id))
    assert event.actor_id == staff["city_head"].pk and event.detail["reason"] == REASON
    assert event.detail["number"] == document.number

    # every reader is told: the particulars, the PDF header, the dashboards below
    detail = login(staff["county"]).get(doc_url(document)).json()
    assert (detail["status"], detail["status_label"], detail["withdrawal_reason"]) == (
        "withdrawn",
        "已撤销",
        REASON,
    )
    assert detail["withdrawn_at"] and detail["withdrawn_by"]
    assert login(staff["county"]).get(doc_url(document, pdf=True))["X-Sifa-Document-Status"] == "withdrawn"
    county_page = login(staff["county"]).get(URL, {"period": "2025-08"}).content.decode()
    assert f'data-circulated="{document.number}"' in county_page and "已撤销" in county_page
    # the month has no current 通报 now: the PDF URL serves the draft again; withdrawing again is 409
    city = login(staff["city"])
    draft = city.get(f"/api/v1/indicators/report/{w['hz'].pk}/2025-08.pdf")
    assert "draft" in draft["Content-Disposition"]
    again = city.post(api_withdraw(w["hz"], "2025-08"), {"reason": REASON}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "indicators.not_issued")

    # the corrected 通报: the same organisation and month, the next number
    corrected = city.post(api_issue(w["hz"], "2025-08"))
    assert corrected.status_code == 201
    assert corrected.json()["number"].endswith(f"通〔{issuing_day.year}〕2号")
    assert corrected.json()["document"] != str(document.public_id)
    rows = Document.objects.filter(kind="performance_report", organisation=w["hz"], related_id="2025-08")
    assert rows.count() == 2 and rows.filter(withdrawn_at__isnull=True).count() == 1
    served = city.get(f"/api/v1/indicators/report/{w['hz'].pk}/2025-08.pdf")
    assert "draft" not in served["Content-Disposition"]
    assert unquote(served["X-Sifa-Document-Number"]) == corrected.json()["number"]
    # still once: issuing again answers the corrected one
    assert city.post(api_issue(w["hz"], "2025-08")).json()["number"] == corrected.json()["number"]


def test_the_database_allows_one_current_report_per_organisation_and_month(staff, w, issuing_day):
    from django.db import IntegrityError, transaction

    from sifa.indicators.dashboard import Month
    from sifa.indicators.services import issue_report, withdraw_report

    month = Month(2025, 7)
    first = issue_report(staff["city"], w["hz"], month).document
    copy = {
        f.attname: getattr(first, f.attname)
        for f in Document._meta.concrete_fields
        if f.attname not in ("id", "public_id")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(**{**copy, "number": "x", "sequence": 99})
    withdraw_report(staff["city"], w["hz"], month, reason=REASON)
    Document.objects.create(**{**copy, "number": "y", "sequence": 98})  # one current again: allowed


def test_a_card_entered_after_the_report_counts_in_its_month_and_the_report_stays(
    login, client, staff, w, issuing_day
):
    """离线补录 of a month already 通报-ed: the figures stay true (the card's month), the issued
    通报 is frozen, and the dashboard and the public statistics say the month changed after it."""
    import datetime as dt

    from sifa.documents.selectors import read_pdf
    from sifa.evaluation.services import enter_card
    from sifa.indicators.selectors import entered_after_report

    card_day = issuing_day.replace(day=1) - dt.timedelta(days=1)  # last day of the month before
    period = f"{card_day:%Y-%m}"
    city = login(staff["city"])
    assert city.post(api_issue(w["hz"], period)).status_code == 201
    report = Document.objects.get(kind="performance_report", organisation=w["hz"], related_id=period)
    frozen = read_pdf(report)
    before = city.get(URL, {"organisation": w["hz"].pk, "period": period})
    ratings_before = next(c.number for c in before.context["cells"] if c.metric.label == "评价数")
    assert entered_after_report(w["hz"], period) is None
    assert "通报印发后补录" not in before.content.decode()

    # a paper card of that month, entered now at the county's window (in the city's subtree)
    with travel(issuing_day, hour=15):  # later the same day
        rating = enter_card(
            staff["county_clerk"],
            collected_on=card_day,
            source="paper",
            card_number="K-0042",
            level="satisfied",
        )
    assert rating.created_at.date() == card_day  # counted in the card's month

    after = login(staff["city"]).get(URL, {"organisation": w["hz"].pk, "period": period})
    body = after.content.decode()
    assert next(c.number for c in after.context["cells"] if c.metric.label == "评价数") == ratings_before + 1
    assert "通报印发后补录 1 条评价" in body and report.number in body
    late = entered_after_report(w["hz"], period)
    assert (late.count, late.report_number) == (1, report.number)
    # the issued 通报 is not changed: the same file, still the current one
    report.refresh_from_db()
    assert read_pdf(report) == frozen and report.withdrawn_at is None
    served = city.get(f"/api/v1/indicators/report/{w['hz'].pk}/{period}.pdf")
    assert served.content == frozen
    assert AuditEvent.objects.filter(
        action="documents.read", object_id=str(report.public_id), actor=staff["city"]
    ).exists()
    # the public statistics of that month say so too (counts and dates only)
    client.logout()
    public = client.get(f"/disclosure/{w['hz'].pk}/", {"period": period}).content.decode()
    assert "通报印发后补录 1 条评价" in public and report.number not in public
    # an organisation without its own 通报 of the month shows no such note
    assert entered_after_report(w["xh"], period) is None
