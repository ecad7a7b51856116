"""The pieces of the indicator pages that need no database: periods, the month chooser, charts,
ranking, the 落后单位 rule and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from sifa.indicators import charts, dashboard
from sifa.indicators.dashboard import BadPeriod, Month, offered_months, parse_period


def F(**values):  # a stand-in for the selectors' figures
    base = {m.key: None if m.is_rate or m.unit == "个工作日" else 0 for m in dashboard.METRICS}
    return SimpleNamespace(**{**base, **values})


def org(name, path="/1/"):
    return SimpleNamespace(name=name, path=path, pk=1)


class TestPeriods:
    def test_default_is_the_last_complete_month_also_in_january(self):
        assert parse_period("", dt.date(2026, 12, 4)) == Month(2026, 11)
        assert parse_period(None, dt.date(2027, 1, 2)) == Month(2026, 12)

    @pytest.mark.parametrize(
        "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "abcd-ef", "1999-12", "2026-11x"]
    )
    def test_malformed_periods_are_refused_in_chinese(self, text):
        with pytest.raises(BadPeriod) as caught:
            parse_period(text, dt.date(2026, 12, 4))
        assert caught.value.code == "indicators.bad_period"
        assert caught.value.status == 400
        assert "统计期间" in caught.value.message

    def test_a_month_not_begun_is_refused(self):
        with pytest.raises(BadPeriod) as caught:
            parse_period("2027-01", dt.date(2026, 12, 31))
        assert caught.value.code == "indicators.future_period"
        assert parse_period("2026-12", dt.date(2026, 12, 31)) == Month(2026, 12)

    def test_december_offers_the_whole_year_and_no_future(self):
        months = offered_months(dt.date(2026, 12, 4))
        assert months[0] == Month(2026, 12)
        assert {Month(2026, m) for m in range(1, 13)} <= set(months)
        assert all(m <= Month(2026, 12) for m in months)
        assert months[-1] == Month(2025, 1)

    def test_january_offers_the_whole_of_last_year(self):
        months = offered_months(dt.date(2027, 1, 1))
        assert months[:2] == [Month(2027, 1), Month(2026, 12)]
        assert {Month(2026, m) for m in range(1, 13)} <= set(months)

    def test_the_trend_of_december_is_the_year(self):
        assert dashboard.trend_months(Month(2026, 12)) == [Month(2026, m) for m in range(1, 13)]
        assert dashboard.trend_months(Month(2027, 1))[0] == Month(2026, 2)


class TestCharts:
    def test_a_bar_chart_is_valid_svg_named_and_described(self):
        points = [charts.Point("1月", 3), charts.Point("2月", None), charts.Point("3月", 12)]
        svg = charts.bar_chart("c1", "收件数 <script>", points, "件")
        root = ElementTree.fromstring(str(svg))  # noqa: S314 - our own SVG
        ns = "{http://www.w3.org/2000/svg}"
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == "c1-title c1-desc"
        assert root.find(f"{ns}title").text == "收件数 <script>"  # escaped in the markup
        assert "<script>" not in str(svg)
        assert root.find(f"{ns}desc").text == "1月 3件；2月 无数据；3月 12件"
        assert len(root.findall(f"{ns}rect")) == 2
        assert "style=" not in str(svg)

    def test_a_rate_line_has_a_gap_where_a_month_has_no_figure(self):
        points = [
            charts.Point("1月", 90.0),
            charts.Point("2月", 80.0),
            charts.Point("3月", None),
            charts.Point("4月", 100.0),
        ]
        root = ElementTree.fromstring(str(charts.line_chart("c2", "办结率", points)))  # noqa: S314 - our own SVG
        ns = "{http://www.w3.org/2000/svg}"
        assert len(root.findall(f"{ns}circle")) == 3
        assert len(root.findall(f"{ns}polyline")) == 1

    def test_an_empty_year_draws_axes_only(self):
        points = [charts.Point(f"{m}月", 0) for m in range(1, 13)]
        root = ElementTree.fromstring(str(charts.bar_chart("c3", "收件数", points, "件")))  # noqa: S314 - our own SVG
        assert root.find("{http://www.w3.org/2000/svg}desc").text.startswith("1月 0件")
        ticks = [t.text for t in root.findall("{http://www.w3.org/2000/svg}text")][:5]
        assert ticks == ["0件", "1件", "2件", "3件", "4件"]  # whole numbers on a count axis

    def test_the_axis_is_round(self):
        assert charts._nice_max(7) == 8
        assert charts._nice_max(9) == 20
        assert charts._nice_max(1234) == 2000
        points = [charts.Point("2026年1月", 3, "1月")]
        assert "2026年1月 3件" in str(charts.bar_chart("c4", "收件数", points, "件"))


class TestRankingAndBehind:
    def test_ranking_best_first_ties_share_a_rank_missing_last(self):
        rows = [
            (org("甲", "/1/2/"), F(legal_on_time_rate=0.9)),
            (org("乙", "/1/3/"), F(legal_on_time_rate=None)),
            (org("丙", "/1/4/"), F(legal_on_time_rate=1.0)),
            (org("丁", "/1/5/"), F(legal_on_time_rate=0.9)),
        ]
        out = dashboard.ranked(rows, dashboard.METRIC_BY_KEY["legal_on_time_rate"])
        assert [(rank, o.name) for rank, o, _f in out] == [(1, "丙"), (2, "甲"), (2, "丁"), (None, "乙")]

    def test_lower_is_better_for_working_days(self):
        rows = [(org("甲"), F(average_working_days=5.0)), (org("乙"), F(average_working_days=2.5))]
        out = dashboard.ranked(rows, dashboard.METRIC_BY_KEY["average_working_days"])
        assert [o.name for _r, o, _f in out] == ["乙", "甲"]

    def test_fell_behind(self):
        rows = [
            (org("甲"), F(legal_on_time_rate=1.0, satisfaction_rate=1.0)),
            (org("乙"), F(legal_on_time_rate=0.8, legal_overdue=2)),
            (org("丙"), F(legal_on_time_rate=1.0, satisfaction_rate=0.5)),
            (org("丁"), F()),  # no cases at all: nothing to blame
        ]
        behind = dict((o.name, reasons) for o, reasons in dashboard.fell_behind(rows))
        assert set(behind) == {"乙", "丙"}
        assert any("低于同级平均" in r for r in behind["乙"])
        assert "超法定时限办结 2 件" in behind["乙"]
        assert behind["丙"] == ["满意率 50.0%，低于 90%"]


class TestCsv:
    def test_bom_chinese_headers_stable_order_and_no_formulas(self):
        data = dashboard.csv_bytes(
            Month(2026, 11),
            org("杭州市司法局"),
            F(received=3, legal_on_time_rate=0.66666),
            [(org('=HYPERLINK("http://x")'), F(received=1)), (org("西湖区司法局"), F())],
        )
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0][:4] == ["统计期间", "机构", "范围", "收件数（件）"]
        assert rows[0][3:] == [f"{m.label}（{m.unit}）" for m in dashboard.METRICS]
        assert rows[1][:4] == ["2026-11", "杭州市司法局", "合计（含下级）", "3"]
        assert rows[1][3 + [m.key for m in dashboard.METRICS].index("legal_on_time_rate")] == "66.7"
        assert rows[2][1].startswith("'=")
        assert len(rows) == 4 and all(len(r) == len(rows[0]) for r in rows)
