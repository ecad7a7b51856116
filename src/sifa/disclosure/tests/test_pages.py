"""The public pages, the Atom feeds and the open data: published only, nothing personal, valid."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings

from sifa.disclosure import opendata, periods, selectors, services
from sifa.disclosure.opendata_columns import NOTICES, STATISTICS
from sifa.disclosure.tests.conftest import draft, published
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_platform_page_shows_the_latest_notices_and_the_provinces(client, orgs, people):
    notice = published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"])
    hidden = draft(people["hz_clerk"], orgs["hz"], title="尚未审查的草稿标题")
    page = client.get("/disclosure/")
    html = page.content.decode()
    assert page.status_code == 200
    assert notice.title in html and hidden.title not in html
    assert orgs["zj"].name in html and orgs["bj"].name in html
    assert "月度统计" in html and "满意率" in html
    assert client.get(f"/disclosure/notices/{notice.public_id}/").status_code == 200
    assert client.get(f"/disclosure/notices/{hidden.public_id}/").status_code == 404
    assert client.get("/disclosure/notices/not-a-uuid/").status_code == 404


def test_withdrawn_notices_disappear_everywhere(client, orgs, people):
    notice = published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"])
    services.withdraw(people["zj_supervisor"], notice.public_id, reason="内容已过时，以新通知为准")
    assert client.get(f"/disclosure/notices/{notice.public_id}/").status_code == 404
    for url in (
        "/disclosure/",
        f"/disclosure/{orgs['hz'].pk}/",
        "/disclosure/feed.atom",
        f"/disclosure/{orgs['hz'].pk}/feed.atom",
        "/disclosure/opendata/notices.json",
        "/disclosure/opendata/notices.csv",
    ):
        assert notice.title not in client.get(url).content.decode(), url


def test_the_organisation_page_offers_only_months_that_are_over(client, orgs, people):
    url = f"/disclosure/{orgs['hz'].pk}/"
    with travel(dt.date(2027, 1, 15)):
        html = client.get(url).content.decode()
        assert "月度统计：2026年12月" in html and 'value="2026-12" selected' in html
        assert 'value="2027-01"' not in html and 'value="2026-01"' in html
        later = client.get(url, {"period": "2027-01"}).content.decode()
        assert "只能查看已结束月份的统计" in later and "月度统计：2026年12月" in later
        assert "月度统计：2026年3月" in client.get(url, {"period": "2026-03"}).content.decode()
        assert client.get(url, {"period": "garbage"}).status_code == 200
    with travel(dt.date(2026, 12, 2)):
        assert "月度统计：2026年11月" in client.get(url).content.decode()
    assert periods.latest_month(dt.date(2027, 1, 1)) == dt.date(2026, 12, 1)
    assert periods.past_months(dt.date(2026, 2, 10), 3) == [
        dt.date(2026, 1, 1),
        dt.date(2025, 12, 1),
        dt.date(2025, 11, 1),
    ]
    assert client.get("/disclosure/999999/").status_code == 404


def test_the_organisation_page_links_parent_and_children(client, orgs, people):
    html = client.get(f"/disclosure/{orgs['zj'].pk}/").content.decode()
    assert f"/disclosure/{orgs['hz'].pk}/" in html and f"/disclosure/{orgs['nb'].pk}/" in html
    assert f"/disclosure/{orgs['ministry'].pk}/" in html


def test_the_body_is_escaped_markdown(client, orgs, people):
    body = "## 小标题\n\n- 第一项 **重点**\n- 第二项\n\n<script>alert(1)</script> [链接](https://example.org)"
    notice = published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"], body=body)
    html = client.get(f"/disclosure/notices/{notice.public_id}/").content.decode()
    assert "<h2>小标题</h2>" in html and "<li>第一项 <strong>重点</strong></li>" in html
    assert (
        "<script>alert" not in html and "&lt;script&gt;" in html and 'href="https://example.org"' not in html
    )


@override_settings(PUBLIC_URL="https://sifa.example.gov.cn", ALLOWED_HOSTS=["testserver", "evil.example.com"])
def test_the_feeds_are_valid_atom_with_absolute_addresses(client, orgs, people):
    notice = published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"])
    for url, title in (
        ("/disclosure/feed.atom", "司法行政政务公开"),
        (f"/disclosure/{orgs['hz'].pk}/feed.atom", "杭州市司法局政务公开"),
    ):
        answer = client.get(url, HTTP_HOST="evil.example.com")
        assert answer["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(answer.content)  # noqa: S314  (our own answer, in a test)
        assert root.tag == f"{ATOM}feed"
        assert root.findtext(f"{ATOM}title") == title
        assert root.findtext(f"{ATOM}id").startswith("https://sifa.example.gov.cn/")
        assert root.findtext(f"{ATOM}updated")
        assert root.find(f"{ATOM}author/{ATOM}name").text
        self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
        assert self_link and self_link[0].get("href") == f"https://sifa.example.gov.cn{url}"
        [entry] = root.findall(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{notice.public_id}"
        assert entry.findtext(f"{ATOM}title") == notice.title
        assert entry.findtext(f"{ATOM}updated") and entry.findtext(f"{ATOM}published")
        assert entry.find(f"{ATOM}author/{ATOM}name").text == "杭州市司法局"
        assert entry.find(f"{ATOM}link").get("href") == (
            f"https://sifa.example.gov.cn/disclosure/notices/{notice.public_id}/"
        )
        assert b"evil.example.com" not in answer.content
    empty = ET.fromstring(client.get(f"/disclosure/{orgs['nb'].pk}/feed.atom").content)  # noqa: S314
    assert empty.findtext(f"{ATOM}updated") and not empty.findall(f"{ATOM}entry")


def test_open_data_columns_are_the_dictionary(client, orgs, people):
    published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"], title='=HYPERLINK("http://x")公告')
    for dataset in (NOTICES, STATISTICS):
        names = [c.name for c in dataset.columns]
        data = json.loads(client.get(f"/disclosure/opendata/{dataset.name}.json").content)
        assert [c["name"] for c in data["dictionary"]] == names
        assert data["rows"] and all(list(row) == names for row in data["rows"])
        text = client.get(f"/disclosure/opendata/{dataset.name}.csv").content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0] == names and len(rows) == len(data["rows"]) + 1
    page = client.get("/disclosure/opendata/").content.decode()
    assert all(c.name in page for c in NOTICES.columns + STATISTICS.columns)
    text = client.get("/disclosure/opendata/notices.csv").content.decode("utf-8")
    assert "'=HYPERLINK" in text  # formula injection: a leading apostrophe
    one = json.loads(client.get(f"/disclosure/opendata/statistics.json?organisation={orgs['hz'].pk}").content)
    assert one["organisation"]["name"] == "杭州市司法局" and len(one["rows"]) == periods.CHOICES
    assert client.get("/disclosure/opendata/other.csv").status_code == 404
    assert client.get("/disclosure/opendata/notices.csv?organisation=abc").status_code == 404


def test_csv_cells_are_formula_safe():
    assert (
        opendata.cell("=1+1") == "'=1+1" and opendata.cell("+86") == "'+86" and opendata.cell("@x") == "'@x"
    )
    assert opendata.cell("-5") == "'-5" and opendata.cell(-5) == -5 and opendata.cell(0.5) == 0.5
    assert opendata.cell(None) == "" and opendata.cell("普通文字") == "普通文字"


def test_rectified_bad_ratings_mask_digits_and_never_show_the_comment():
    assert selectors.mask("已致电13912345678，身份证330106199001011234") == "已致电＊＊＊，身份证＊＊＊"
    assert selectors.mask("已发邮件至 a.b@example.com 说明") == "已发邮件至 ＊＊＊ 说明"
