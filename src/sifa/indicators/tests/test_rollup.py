"""The same case rolled up consistently at every level; scope; mock cases; rebuild == incremental."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from sifa.core.errors import NotFound
from sifa.indicators import metrics, selectors
from sifa.indicators.models import Contribution, MonthlyFigures, PendingDelta
from sifa.indicators.services import fold, fold_all, rebuild
from sifa.indicators.tests.rebuilds import assert_the_rebuilds_agree
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor, actor_for
from sifa.testing.cases import material_item
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

SEPT = dt.date(2025, 9, 1)
AID = "法律援助申请"


def aid_case(w, people, *, mock: bool = False):
    case = make_case(entry_for(AID, w["xh_aid"]), people["citizen"])
    if mock:
        type(case).objects.filter(pk=case.pk).update(is_mock=True)
        case.refresh_from_db()
    clerk = people["aid_clerk"]
    with travel(dt.date(2025, 9, 2)):
        assert command(clerk, case.number, "accept").status_code == 200
    with travel(dt.date(2025, 9, 4)):
        assert command(clerk, case.number, "decide", decision="approve").status_code == 200
    with travel(dt.date(2025, 9, 5)):
        assert command(clerk, case.number, "assign", assignee="王律师").status_code == 200
    return case


def snapshot():
    return sorted(
        tuple(r.values())
        for r in MonthlyFigures.objects.values("organisation_id", "month", *selectors.METRIC_NAMES)
    )


@pytest.mark.django_db
def test_the_same_case_rolls_up_at_every_level(w, people, viewers):
    aid_case(w, people)
    levels = ["xh_aid", "xh", "hz", "zj", "ministry"]
    # Before the fold: the deltas are read with the rows, so the figures are already exact.
    before = {k: selectors.figures(actor_for(viewers["ministry"]), w[k], SEPT) for k in levels}
    assert PendingDelta.objects.exists()
    fold_all()
    assert not PendingDelta.objects.exists()
    viewer = {"xh_aid": "xh", "xh": "xh", "hz": "hz", "zj": "zj", "ministry": "ministry"}
    for key in levels:
        figures = selectors.figures(actor_for(viewers[viewer[key]]), w[key], SEPT)
        assert figures.counts == before[key].counts
        assert (figures.received, figures.accepted, figures.decided, figures.approved) == (1, 1, 1, 1)
        assert figures.delivered == 1
        assert figures.legal_on_time + figures.legal_overdue <= 1
    # Drill-down: the ministry's children show the case under 浙江 only.
    kids = dict(selectors.children(actor_for(viewers["ministry"]), w["ministry"], "2025-09"))
    assert kids[w["zj"]].received == 1
    hz_kids = dict(selectors.children(actor_for(viewers["hz"]), w["hz"], SEPT))
    assert hz_kids[w["xh"]].received == 1
    trend = selectors.series(actor_for(viewers["zj"]), w["zj"], 12, end=dt.date(2025, 12, 1))
    assert [f.received for _m, f in trend][-4:] == [1, 0, 0, 0]
    ranked = selectors.ranking(actor_for(viewers["zj"]), w["zj"], SEPT, "received")
    assert ranked[0].organisation == w["hz"] and ranked[0].rank == 1


@pytest.mark.django_db
def test_each_user_sees_only_their_subtree(w, people, viewers):
    aid_case(w, people)
    xh = actor_for(viewers["xh"])
    for other in ("hz", "zj", "ministry", "nb", "hs"):
        with pytest.raises(NotFound):
            selectors.figures(xh, w[other], SEPT)
    hz = actor_for(viewers["hz"])
    for other in ("zj", "ministry", "nb", "hs"):
        with pytest.raises(NotFound):
            selectors.children(hz, w[other], SEPT)
    with pytest.raises(NotFound):
        selectors.series(actor_for(viewers["hs"]), w["nb"], 12)
    with pytest.raises(NotFound):
        selectors.ranking(actor_for(viewers["nb"]), w["zj"], SEPT, "received")
    assert selectors.figures(actor_for(viewers["nb"]), w["nb"], SEPT).received == 0
    assert selectors.figures(hz, w["xh_aid"], SEPT).received == 1


@pytest.mark.django_db
def test_a_mock_case_changes_nothing(w, people, viewers):
    aid_case(w, people, mock=True)
    assert not PendingDelta.objects.exists()
    fold_all()
    assert selectors.figures(actor_for(viewers["ministry"]), w["ministry"], SEPT).counts == {}
    rebuild()
    assert not MonthlyFigures.objects.exists()


@pytest.mark.django_db
def test_rebuild_gives_what_the_incremental_maintenance_gave(w, people):
    from sifa.complaints import services as complaints

    aid_case(w, people)
    case = make_case(entry_for(AID, w["xh_aid"]), people["citizen"])
    with travel(dt.date(2025, 9, 3)):
        command(people["aid_clerk"], case.number, "accept")
    lawyer = "律师执业许可（专职律师执业）"
    corrected = make_case(entry_for(lawyer, w["hz"]), people["citizen"], received=dt.date(2025, 9, 29))
    refused = make_case(entry_for(lawyer, w["hz"]), people["citizen"], received=dt.date(2025, 9, 29))
    with travel(dt.date(2025, 9, 30)):
        items = [material_item(corrected, "身份证明不清晰")]
        assert (
            command(people["hz_clerk"], corrected.number, "request_correction", items=items).status_code
            == 200
        )
    with travel(dt.date(2025, 10, 9)):  # another month: the refusal falls in October
        assert (
            command(people["hz_clerk"], refused.number, "refuse", reasons="不属于本机关职权范围").status_code
            == 200
        )
        complaints.submit(
            people["citizen"],
            kind="complaint",
            subject_kind="case",
            text="办理太慢，多次催促无人答复",
            case_number=case.number,
        )
    partial = snapshot()  # some deltas folded, some pending, then the rest
    fold(limit=3)
    assert snapshot() != partial
    fold_all()
    incremental = snapshot()
    assert incremental
    rebuild()
    assert snapshot() == incremental
    rebuild()  # idempotent
    assert snapshot() == incremental
    rebuild(SEPT)
    assert snapshot() == incremental
    assert_the_rebuilds_agree()
    assert snapshot() == incremental
    hz = {r["month"]: r for r in MonthlyFigures.objects.filter(organisation=w["hz"]).values()}
    assert hz[SEPT]["corrected"] == 1 and hz[SEPT]["received"] == 4
    october = dt.date(2025, 10, 1)
    assert hz[october]["not_accepted"] == 1 and hz[october]["complaints_received"] == 1


@pytest.mark.django_db
def test_ratings_and_rectifications_are_counted_and_rebuilt(w, people, viewers):
    from sifa.evaluation import services as evaluation

    case = aid_case(w, people)
    with travel(dt.date(2025, 9, 8)):
        evaluation.rate(
            people["citizen"],
            subject="application",
            number=case.number,
            level="非常不满意",
            channel="web",
            comment="太慢",
        )
    fold_all()
    figures = selectors.figures(actor_for(viewers["zj"]), w["zj"], SEPT)
    assert (figures.ratings, figures.ratings_bad, figures.ratings_satisfied) == (1, 1, 0)
    assert figures.rectifications_opened == 1
    assert figures.satisfaction_rate == 0.0
    incremental = snapshot()
    rebuild()
    assert snapshot() == incremental
    assert_the_rebuilds_agree()


# --- API ---------------------------------------------------------------------------------------


def get(user, url):
    from sifa.testing import api_client

    return api_client(user).get(url)


@pytest.mark.django_db
def test_api_gives_the_figures_and_the_children_in_scope(w, people, viewers):
    aid_case(w, people)
    response = get(viewers["hz"], f"/api/v1/indicators/?organisation={w['hz'].pk}&period=2025-09")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["organisation"]["name"] == "杭州市司法局"
    assert body["figures"]["counts"]["received"] == 1
    assert {c["organisation"]["name"]: c["figures"]["counts"]["received"] for c in body["children"]}[
        "杭州市西湖区司法局"
    ] == 1
    assert body["figures"]["rates"]["online_share"] is not None
    own = get(viewers["xh"], "/api/v1/indicators/?period=2025-09&depth=0").json()
    assert own["organisation"]["name"] == "杭州市西湖区司法局" and own["children"] == []
    # Outside the subtree: 404, whether above or beside.
    for viewer, other in (("xh", "hz"), ("xh", "hs"), ("hz", "zj"), ("nb", "hz")):
        assert get(viewers[viewer], f"/api/v1/indicators/?organisation={w[other].pk}").status_code == 404
    for query, code in (
        ("period=2025-13", "indicators.bad_period"),
        ("period=abc", "indicators.bad_period"),
        ("organisation=x", "indicators.bad_organisation"),
        ("organisation=999999", "indicators.bad_organisation"),
        ("depth=2", "indicators.bad_depth"),
    ):
        response = get(viewers["hz"], f"/api/v1/indicators/?{query}")
        assert response.status_code == 400 and response.json()["code"] == code, (query, response.json())
    assert get(people["citizen"], "/api/v1/indicators/").status_code == 404
    assert get(None, "/api/v1/indicators/").status_code in (401, 403)


@pytest.mark.django_db
def test_public_statistics_for_a_month_that_is_over(w, people):
    aid_case(w, people, mock=True)
    aid_case(w, people)
    whole = get(None, "/api/v1/public/statistics/?period=2025-09").json()
    assert whole["organisation"] is None and whole["figures"]["counts"]["received"] == 1
    one = get(None, f"/api/v1/public/statistics/?organisation={w['nb'].pk}&period=2025-09").json()
    assert one["figures"]["counts"]["received"] == 0
    current = selectors.current_month()
    response = get(None, f"/api/v1/public/statistics/?period={current:%Y-%m}")
    assert response.status_code == 400 and response.json()["code"] == "indicators.not_published"


@pytest.mark.django_db
def test_a_leaf_has_no_rows_and_is_read_from_its_facts(w, people, viewers):
    """R8c: a leaf (here the 西湖 legal-aid centre) keeps no roll-up rows; its figures and its line
    in its parent's drill-down are computed from its facts and equal what the ledger says it got."""
    aid_case(w, people)
    fold_all()
    parents = set(Organisation.objects.exclude(parent=None).values_list("parent_id", flat=True))
    assert w["xh_aid"].pk not in parents and w["xh"].pk in parents
    assert not MonthlyFigures.objects.exclude(organisation_id__in=parents).exists()
    assert MonthlyFigures.objects.filter(organisation=w["xh"]).exists()
    expected: dict = {}
    for row in Contribution.objects.all():
        for (organisation_id, month), counts in metrics.decode(row.figures).items():
            if organisation_id == w["xh_aid"].pk:
                expected.setdefault(month, Counter()).update(counts)
    assert expected
    superuser = Actor(user_id=0, is_superuser=True)
    for month, counts in expected.items():
        assert selectors.figures(superuser, w["xh_aid"], month).counts == dict(+counts)
        kids = dict(selectors.children(superuser, w["xh"], month))
        assert kids[w["xh_aid"]].counts == dict(+counts)
    assert selectors.figures(superuser, w["xh_aid"], SEPT).received == 1


@pytest.mark.django_db
def test_a_leaf_read_from_its_facts_equals_the_rebuild_at_the_month_edges(w, people, viewers):
    """One grouped query per fact table (``sifa.indicators.leaves``) gives what the rebuild records
    for a leaf: events either side of midnight (Asia/Shanghai) at a month's end, a decision in the
    month after the acceptance, a 差评 with its rectification, a complaint, a mock case — read one
    month at a time, several at once (the trend) and as a line of the parent's drill-down."""
    from sifa.complaints import services as complaints
    from sifa.evaluation import services as evaluation
    from sifa.indicators.leaves import leaf_figures
    from sifa.testing.cases import make_case as plain_case

    shanghai = metrics.SHANGHAI
    case = aid_case(w, people)
    with travel(dt.date(2025, 9, 8)):
        evaluation.rate(
            people["citizen"], subject="application", number=case.number, level="非常不满意", channel="web"
        )
    with travel(dt.date(2025, 10, 9)):
        complaints.submit(
            people["citizen"],
            kind="complaint",
            subject_kind="case",
            text="办理太慢，多次催促无人答复",
            case_number=case.number,
        )
    entry = entry_for(AID, w["xh_aid"])
    late = dt.datetime(2025, 9, 30, 23, 30, tzinfo=shanghai)
    early = dt.datetime(2025, 10, 1, 0, 10, tzinfo=shanghai)
    plain_case(entry, people["citizen"], submitted_at=late, received_at=late, channel="mobile")
    plain_case(
        entry,
        people["citizen"],
        submitted_at=late,
        received_at=late,
        accepted_at=late + dt.timedelta(minutes=10),
        decided_at=early,
        closed_at=early + dt.timedelta(minutes=5),
        status="delivered",
    )
    plain_case(
        entry, people["citizen"], submitted_at=late, received_at=late, status="not_accepted", closed_at=early
    )
    plain_case(entry, people["citizen"], submitted_at=late, received_at=late, is_mock=True)
    assert_the_rebuilds_agree()
    expected: dict = {}
    for row in Contribution.objects.all():
        for key, counts in metrics.decode(row.figures).items():
            if key[0] in (w["xh_aid"].pk, w["xh_town"].pk):
                expected.setdefault(key, Counter()).update(counts)
    months = [dt.date(2025, m, 1) for m in (8, 9, 10, 11)]
    wanted = {k: +v for k, v in expected.items() if +v}
    assert {k[1] for k in wanted} == {SEPT, dt.date(2025, 10, 1)}
    assert wanted[(w["xh_aid"].pk, SEPT)]["received"] == 4  # 23:30 on 30 September is September
    october = wanted[(w["xh_aid"].pk, dt.date(2025, 10, 1))]
    assert october["decided"] == 1 and october["not_accepted"] == 1 and october["complaints_received"] == 1
    assert leaf_figures([w["xh_aid"].pk, w["xh_town"].pk], months) == wanted
    superuser = Actor(user_id=0, is_superuser=True)
    for month in months:
        assert leaf_figures([w["xh_aid"].pk], [month]) == {k: v for k, v in wanted.items() if k[1] == month}
        own, kids = selectors.drill_down(superuser, w["xh"], month)
        assert dict(kids)[w["xh_aid"]].counts == dict(wanted.get((w["xh_aid"].pk, month), {}))
        assert own.counts == selectors.figures(superuser, w["xh"], month).counts
        assert own.received >= dict(kids)[w["xh_aid"]].received
    trend = selectors.series(superuser, w["xh_aid"], 4, end=dt.date(2025, 11, 1))
    assert [f.counts for _m, f in trend] == [dict(wanted.get((w["xh_aid"].pk, m), {})) for m in months]
