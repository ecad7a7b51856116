"""绩效考核 in the workbench: the dashboard, its CSV and the monthly 通报 PDF, across levels.

The world: 司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局, and 宁波市司法局 beside 杭州; one
delivered 律师执业许可 case at 杭州市司法局 in September 2025 (today is 2025-09-01, so August is the
last complete month and September the month in progress).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from urllib.parse import unquote

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.organisations.models import Role
from sifa.testing.clock import travel
from sifa.workbench.tests import world as W

URL = "/workbench/indicators/"
CSV = "/workbench/indicators/download.csv"


def roll_up() -> None:
    """Bring the roll-ups up to date with facts made by factories (no command ran)."""
    from sifa.indicators.services import rebuild

    rebuild()


@pytest.fixture
def staff(w):
    return {
        "ministry": W.staff("ind-ministry", (w["ministry"], Role.SUPERVISOR)),
        "province": W.staff("ind-province", (w["zj"], Role.DECISION_MAKER)),
        "city": W.staff("ind-city", (w["hz"], Role.SUPERVISOR)),
        "county": W.staff("ind-county", (w["xh"], Role.SUPERVISOR)),
        "clerk": W.staff("ind-clerk", (w["hz"], Role.WINDOW_CLERK)),
    }


@pytest.fixture
def delivered(w, people):
    case = W.make_case(W.entry_for(W.LAWYER, w["hz"]), people["citizen"], status=ApplicationStatus.DELIVERED)
    roll_up()
    return case


def figure(response, label: str):
    return next(c.number for c in response.context["cells"] if c.metric.label == label)


def test_the_menu_offers_it_to_supervisors_and_decision_makers_only(login, staff):
    page = login(staff["province"]).get("/workbench/")
    assert b'href="/workbench/indicators/"' in page.content
    assert "绩效考核" in page.content.decode()
    page = login(staff["clerk"]).get("/workbench/")
    assert b'href="/workbench/indicators/"' not in page.content
    assert login(staff["clerk"]).get(URL).status_code == 404


def test_default_is_my_organisation_and_the_last_complete_month(login, staff):
    response = login(staff["province"]).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["organisation"].name == "浙江省司法厅"
    assert response.context["month"].key == "2025-08"
    assert '<option value="2025-08" selected>' in body
    assert '<option value="2025-10"' not in body  # the future is not offered
    assert '<option value="2025-09"' in body and '<option value="2024-01"' in body


@pytest.mark.parametrize("who", ["ministry", "province", "city"])
def test_the_same_case_rolls_up_at_every_level(login, staff, w, delivered, who):
    top = {"ministry": w["ministry"], "province": w["zj"], "city": w["hz"]}[who]
    response = login(staff[who]).get(URL, {"organisation": top.pk, "period": "2025-09"})
    assert response.status_code == 200
    assert figure(response, "收件数") == 1
    assert response.context["trend_rows"][-1][1][0].number == 1  # September in the trend table


def test_drill_down_and_breadcrumbs(login, staff, w, delivered):
    client = login(staff["province"])
    response = client.get(URL, {"period": "2025-09"})
    rows = {r["organisation"].name: r for r in response.context["child_rows"]}
    assert set(rows) == {"杭州市司法局", "宁波市司法局"}
    hz_row = rows["杭州市司法局"]
    assert next(c.number for c in hz_row["cells"] if c.metric.key == "received") == 1
    assert next(c.number for c in rows["宁波市司法局"]["cells"] if c.metric.key == "received") == 0
    assert f'href="?{hz_row["query"]}"'.replace("&", "&amp;") in response.content.decode()
    city = client.get(URL + "?" + hz_row["query"])
    assert city.status_code == 200
    assert [c.name for c, _q in city.context["crumbs"]] == ["浙江省司法厅"]
    assert [r["organisation"].name for r in city.context["child_rows"]] == ["杭州市西湖区司法局"]
    county = client.get(URL, {"organisation": w["xh"].pk, "period": "2025-09"})
    assert [c.name for c, _q in county.context["crumbs"]] == ["浙江省司法厅", "杭州市司法局"]
    assert county.context["child_rows"] == []
    assert "没有下级机构" in county.content.decode()
    # the city's own supervisor has no way up
    assert login(staff["city"]).get(URL, {"period": "2025-09"}).context["crumbs"] == []


def test_the_county_counts_only_its_own_subtree(login, staff, w, delivered):
    response = login(staff["county"]).get(URL, {"period": "2025-09"})
    assert response.context["organisation"].name == "杭州市西湖区司法局"
    assert figure(response, "收件数") == 0


@pytest.mark.parametrize(
    ("who", "outside"),
    [
        ("county", "hz"),
        ("county", "zj"),
        ("county", "nb"),
        ("city", "zj"),
        ("city", "nb"),
        ("province", "ministry"),
    ],
)
def test_each_user_sees_only_their_subtree(login, staff, w, who, outside):
    client = login(staff[who])
    org = w[outside]
    assert client.get(URL, {"organisation": org.pk}).status_code == 404
    assert client.get(CSV, {"organisation": org.pk, "period": "2025-08"}).status_code == 404
    pdf = client.get(f"/api/v1/indicators/report/{org.pk}/2025-08.pdf")
    assert pdf.status_code == 404
    assert pdf.json()["code"] == "indicators.not_found"


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999999"])
def test_a_bad_organisation_is_404(login, staff, value):
    assert login(staff["province"]).get(URL, {"organisation": value}).status_code == 404


def test_an_empty_month_shows_zeros(login, staff, delivered):
    response = login(staff["province"]).get(URL, {"period": "2024-01"})
    assert response.status_code == 200
    assert figure(response, "收件数") == 0
    assert figure(response, "法定时限内办结率") is None
    assert "本月没有落后单位" in response.content.decode()


@pytest.mark.parametrize(
    ("period", "message"),
    [("2025-13", "统计期间格式不正确"), ("abc", "统计期间格式不正确"), ("2025-10", "2025年10月尚未开始")],
)
def test_a_bad_period_is_400_in_chinese(login, staff, w, period, message):
    client = login(staff["province"])
    response = client.get(URL, {"period": period})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert client.get(CSV, {"organisation": w["zj"].pk, "period": period}).status_code == 400
    api = client.get(f"/api/v1/indicators/report/{w['zj'].pk}/{period}.pdf")
    assert api.status_code == 400
    assert api.json()["code"] in {"indicators.bad_period", "indicators.future_period"}


def test_an_unknown_ranking_metric_falls_back(login, staff, delivered):
    response = login(staff["province"]).get(URL, {"period": "2025-09", "metric": "nonsense"})
    assert response.status_code == 200
    assert response.context["metric"].key == "legal_on_time_rate"
    ranked = login(staff["province"]).get(URL, {"period": "2025-09", "metric": "satisfaction_rate"})
    assert ranked.context["metric"].label == "满意率"


def test_csv_download(login, staff, w, delivered):
    response = login(staff["province"]).get(CSV, {"organisation": w["zj"].pk, "period": "2025-09"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["统计期间", "机构", "范围", "收件数（件）"]
    assert [r[1] for r in rows[1:]] == ["浙江省司法厅", "杭州市司法局", "宁波市司法局"]
    assert [r[3] for r in rows[1:]] == ["1", "1", "0"]


def test_the_monthly_report_pdf(login, staff, w, delivered, tmp_path):
    response = login(staff["province"]).get(f"/api/v1/indicators/report/{w['zj'].pk}/2025-09.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    compact = "".join(text.split())
    assert "浙江省司法厅2025年9月政务服务绩效通报" in compact
    assert "杭州市司法局" in compact and "宁波市司法局" in compact
    assert "落后单位" in compact


# --- 印发: the monthly 通报 as a numbered, sealed document --------------------------------------

needs_pdf_tools = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfsig") and shutil.which("certutil")),
    reason="pdftotext and pdfsig (poppler-utils) and certutil (libnss3-tools) are needed",
)
ISSUE = "/workbench/indicators/issue/"
REAL_TODAY = dt.date.today() + dt.timedelta(days=1)
"""Issuing signs with the platform key, valid from when it was made (the real clock): the tests
that issue travel to tomorrow, and 通报 of months long over (2025) are issued then."""


@pytest.fixture
def issuing_day(w):
    """Tomorrow, with the city's seal certificate made now: made there, it would be valid only from
    tomorrow, and ``pdfsig`` (checking at the real time) would call it expired — unless an earlier
    test in the run had made it, which made the test depend on the order of the run."""
    from sifa.documents.ca import default_authority

    default_authority().credentials(w["hz"].uscc, w["hz"].name)
    with travel(REAL_TODAY):
        yield REAL_TODAY


def api_issue(org, period: str) -> str:
    return f"/api/v1/indicators/report/{org.pk}/{period}/commands/issue/"


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def seal_report(pdf: bytes, tmp_path) -> str:
    from sifa.documents.ca import default_authority
    from sifa.documents.tests.tools import pdfsig

    return pdfsig(pdf, default_authority().ca_certificate_pem(), tmp_path)


@needs_pdf_tools
def test_before_it_is_issued_the_report_is_a_marked_draft(login, staff, w, delivered, tmp_path):
    client = login(staff["province"])
    response = client.get(f"/api/v1/indicators/report/{w['zj'].pk}/2025-08.pdf")
    assert response.status_code == 200
    assert "draft" in response["Content-Disposition"]
    assert "X-Sifa-Document-Number" not in response
    text = pdf_text(response.content, tmp_path)
    assert "草稿，未印发" in text and "不编文号、不加盖电子印章" in text
    assert "〔2025〕" not in text
    assert "does not contain any signatures" in seal_report(response.content, tmp_path)
    page = client.get(URL, {"period": "2025-08"})
    body = page.content.decode()
    assert "尚未印发" in body and "绩效通报草稿（PDF，未印发）" in body
    assert f'action="{ISSUE}"' in body and 'name="csrfmiddlewaretoken"' in body
    assert "印发2025年8月绩效通报" in body


def test_the_issue_button_shows_only_to_those_who_act_for_the_organisation(login, staff, w):
    # the ministry's supervisor sees the province's dashboard but does not issue in its name
    ministry = login(staff["ministry"]).get(URL, {"organisation": w["zj"].pk, "period": "2025-08"})
    assert ministry.status_code == 200
    assert f'action="{ISSUE}"' not in ministry.content.decode()
    refused = login(staff["ministry"]).post(api_issue(w["zj"], "2025-08"))
    assert (refused.status_code, refused.json()["code"]) == (403, "indicators.not_issuer")
    # the month in progress: no button, and the command says why
    running = login(staff["province"]).get(URL, {"period": "2025-09"}).content.decode()
    assert f'action="{ISSUE}"' not in running and "2025年9月尚未结束" in running
    response = login(staff["province"]).post(api_issue(w["zj"], "2025-09"))
    assert (response.status_code, response.json()["code"]) == (409, "indicators.month_not_over")
    assert "2025年9月尚未结束" in response.json()["message"]


@pytest.mark.parametrize(
    ("who", "outside"), [("county", "hz"), ("city", "nb"), ("city", "zj"), ("clerk", "hz")]
)
def test_issuing_another_organisations_report_is_404(login, staff, w, who, outside):
    response = login(staff[who]).post(api_issue(w[outside], "2025-08"))
    assert (response.status_code, response.json()["code"]) == (404, "indicators.not_found")


def test_another_citys_supervisor_cannot_issue_nor_read_it(login, w):
    nb = W.staff("ind-nb-supervisor", (w["nb"], Role.SUPERVISOR))
    client = login(nb)
    assert client.post(api_issue(w["hz"], "2025-08")).status_code == 404
    assert client.post(ISSUE, {"organisation": w["hz"].pk, "period": "2025-08"}).status_code == 404
    assert client.get(f"/api/v1/indicators/report/{w['hz'].pk}/2025-08.pdf").status_code == 404


@needs_pdf_tools
def test_the_supervisor_issues_it_numbered_sealed_and_audited(
    login, staff, w, delivered, issuing_day, tmp_path
):
    from sifa.audit.models import AuditEvent
    from sifa.documents.models import Document

    city = login(staff["city"])
    response = city.post(ISSUE, {"organisation": w["hz"].pk, "period": "2025-08"}, follow=True)
    assert response.status_code == 200
    document = Document.objects.get(kind="performance_report", organisation=w["hz"])
    body = response.content.decode()
    number = document.number
    assert (
        number
        == f"{Document.objects.get(pk=document.pk).organisation.document_code}通〔{issuing_day.year}〕1号"
    )
    assert f"已印发，文号 {number}" in body and f"已印发：<strong>{number}</strong>" in body
    assert f'action="{ISSUE}"' not in body  # no second button
    assert (document.related_type, document.related_id, document.title) == (
        "performance_report",
        "2025-08",
        "杭州市司法局2025年8月政务服务绩效通报",
    )
    event = AuditEvent.objects.get(action="documents.issue", object_id=str(document.public_id))
    assert event.detail["number"] == number
    assert event.detail["related"] == "performance_report:2025-08"
    assert event.actor_id == staff["city"].pk

    # the API URL (and the dashboard's link) now serves the issued file: the same bytes every time
    url = f"/api/v1/indicators/report/{w['hz'].pk}/2025-08.pdf"
    first = city.get(url)
    second = login(staff["province"]).get(url)  # the province reads it too (one client: log back in)
    city = login(staff["city"])
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert "draft" not in first["Content-Disposition"]
    assert unquote(first["X-Sifa-Document-Number"]) == number
    report = seal_report(first.content, tmp_path)
    assert "Signature is Valid" in report and "Certificate is Trusted" in report
    assert "CN=杭州市司法局" in report and "Total document signed" in report
    text = pdf_text(first.content, tmp_path)
    assert number in text and "杭州市司法局2025年8月政务服务绩效通报" in text
    assert "草稿" not in text
    assert f"{issuing_day.year}年{issuing_day.month}月{issuing_day.day}日" in text  # 成文日期

    # issuing again is idempotent: the same document, nothing written, no new number
    again = city.post(api_issue(w["hz"], "2025-08"))
    assert again.status_code == 200
    assert again.json()["number"] == number and again.json()["document"] == str(document.public_id)
    assert Document.objects.filter(kind="performance_report").count() == 1
    assert AuditEvent.objects.filter(action="documents.issue", object_id=str(document.public_id)).count() == 1
    repeat = city.post(ISSUE, {"organisation": w["hz"].pk, "period": "2025-08"}, follow=True)
    assert "没有重复印发" in repeat.content.decode()

    # the next month's 通报 of the same organisation takes the next number
    later = dict(city.post(api_issue(w["hz"], "2025-07")).json())
    assert later["number"].endswith(f"通〔{issuing_day.year}〕2号")


def test_the_api_command_answers_201_with_the_document(login, staff, w, issuing_day):
    response = login(staff["province"]).post(api_issue(w["zj"], "2025-06"))
    assert response.status_code == 201
    data = response.json()
    w["zj"].refresh_from_db()
    assert data["number"] == f"{w['zj'].document_code}通〔{issuing_day.year}〕1号"
    assert data["period"] == "2025-06" and data["organisation"] == w["zj"].pk
    assert data["pdf"] == f"/api/v1/indicators/report/{w['zj'].pk}/2025-06.pdf"
    refused = login(staff["province"]).post(api_issue(w["zj"], "2025-06"), {"x": 1}, format="json")
    assert refused.status_code == 400
