"""绩效考核 in the workbench: the dashboard, its CSV and the monthly 通报 PDF, across levels.

The world: 司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局, and 宁波市司法局 beside 杭州; one
delivered 律师执业许可 case at 杭州市司法局 in September 2025 (today is 2025-09-01, so August is the
last complete month and September the month in progress).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.organisations.models import Role
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
