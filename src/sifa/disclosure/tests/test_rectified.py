"""The public page of 杭州市司法局 shows a closed rectification of a 差评 of a delivered 律师执业许可
case — the item, level, stage and masked outcome — and never the rater's comment or the case
number; the month's 好差评 figures come from the evaluation's public statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.disclosure import periods, statistics
from sifa.evaluation import services
from sifa.evaluation.tests.conftest import (  # noqa: F401  (fixtures)
    _fresh,
    _laws_sample,
    cat,
    laws,
    lawyer_case,
    loaded,
    orgs,
    people,
)
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db


def test_a_closed_rectification_is_public_without_personal_data(client, orgs, people):  # noqa: F811
    applicant, clerk = people["applicant"], people["hz_clerk"]
    case = lawyer_case(orgs, applicant)
    rating = services.rate(
        applicant, subject="application", number=case.number, level="非常不满意", comment="张三窗口态度差"
    )
    services.rate(applicant, subject="application", number=lawyer_case(orgs, applicant).number, level="满意")
    rectification = rating.rectification
    services.command(clerk, rectification.pk, "callback", text_value="已电话回访评价人")
    services.command(
        clerk,
        rectification.pk,
        "report",
        text_value="已约谈窗口人员，电话13912345678的回访已完成，增设导办岗",
    )
    services.command(clerk, rectification.pk, "close")
    month = timezone.localdate().replace(day=1)
    with travel(periods.following(month) + dt.timedelta(days=3)):
        html = client.get(f"/disclosure/{orgs['hz'].pk}/").content.decode()
        whole = client.get(f"/disclosure/{orgs['zj'].pk}/").content.decode()
        other = client.get(f"/disclosure/{orgs['nb'].pk}/").content.decode()
    assert "增设导办岗" in html and "＊＊＊" in html and "13912345678" not in html
    assert "律师执业许可" in html and "非常不满意" in html
    assert "张三窗口态度差" not in html and case.number not in html and rating.comment not in whole
    assert "增设导办岗" in whole and "增设导办岗" not in other
    figures = statistics.statistics_for(orgs["hz"], month)
    assert figures["ratings"]["total"] == 2 and figures["ratings"]["bad"] == 1
    assert figures["ratings"]["satisfaction_percent"] == "50.0%"
    assert figures["ratings"]["rectification_percent"] == "100.0%"
    assert figures["period"] == f"{month:%Y-%m}"
