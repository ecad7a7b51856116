"""差评整改 in the workbench, with the Django client and verified staff logins: a 差评 of a 律师执业许可
case at 杭州市司法局 is in the clerk's queue; the clerk calls back, reports and closes through the
page's forms (a report before the callback is refused in the error summary); a supervisor appeals
and the province's supervisor sets the rating aside; the staff member rated is named to supervisors
only; another city's supervisor gets 404, and so does a citizen."""

from __future__ import annotations

import pytest

from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.evaluation import services
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.tests.conftest import _fresh, lawyer_case, orgs  # noqa: F401  (fixtures)
from sifa.organisations.models import Role
from sifa.testing import PersonFactory
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db
QUEUE = "/workbench/rectifications/"


@pytest.fixture
def folk(orgs):  # noqa: F811
    return {
        "hz_clerk": W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK)),
        "hz_supervisor": W.staff("hz-supervisor", (orgs["hz"], Role.SUPERVISOR)),
        "zj_supervisor": W.staff("zj-supervisor", (orgs["zj"], Role.SUPERVISOR)),
        "nb_supervisor": W.staff("nb-supervisor", (orgs["nb"], Role.SUPERVISOR)),
        "applicant": PersonFactory().user,
        "citizen": W.citizen("rect-citizen"),
    }


def _bad(orgs, folk, **extra) -> Rectification:  # noqa: F811
    case = lawyer_case(orgs, folk["applicant"])
    rating = services.rate(
        folk["applicant"],
        subject="application",
        number=case.number,
        level="非常不满意",
        comment="窗口让我来回跑了三次",
    )
    if extra:
        type(rating).objects.filter(pk=rating.pk).update(**extra)
    return Rectification.objects.get(rating=rating)


def _url(rectification: Rectification) -> str:
    return f"/workbench/rectifications/{rectification.pk}/"


def test_the_clerk_calls_back_reports_and_closes_through_the_page(login, orgs, folk):  # noqa: F811
    rectification = _bad(orgs, folk)
    client = login(folk["hz_clerk"])
    queue = client.get(QUEUE).content.decode()
    assert "差评整改" in queue and _url(rectification) in queue and "待整改（1）" in queue
    page = client.get(_url(rectification)).content.decode()
    assert "非常不满意" in page and "窗口让我来回跑了三次" in page and rectification.rating.number in page
    assert 'value="callback"' in page and 'value="report"' not in page and 'value="appeal"' not in page

    # A report before the callback is refused by the service, shown in the error summary.
    refused = client.post(_url(rectification), {"action": "report", "report-text": "已整改"})
    assert refused.status_code == 409 and "实名差评须先回访评价人" in refused.content.decode()
    empty = client.post(_url(rectification), {"action": "callback", "callback-text": ""})
    assert empty.status_code == 400 and "请填写回访记录" in empty.content.decode()

    done = client.post(_url(rectification), {"action": "callback", "callback-text": "已电话联系评价人"})
    assert done.status_code == 302 and done["Location"] == _url(rectification)
    done = client.post(_url(rectification), {"action": "report", "report-text": "已统一窗口材料清单"})
    assert done.status_code == 302
    page = client.get(_url(rectification)).content.decode()
    assert "已反馈整改情况。" in page and "已统一窗口材料清单" in page and 'value="close"' in page
    assert client.post(_url(rectification), {"action": "close"}).status_code == 302
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.CLOSED
    assert "已办结（1）" in client.get(QUEUE).content.decode()
    assert client.post(_url(rectification), {"action": "dance"}).status_code == 404


def test_a_supervisor_appeals_and_the_level_above_sets_the_rating_aside(login, orgs, folk):  # noqa: F811
    rectification = _bad(orgs, folk, staff_member=folk["hz_clerk"])
    supervisor = login(folk["hz_supervisor"])
    page = supervisor.get(_url(rectification)).content.decode()
    assert 'value="appeal"' in page and 'value="set_aside"' not in page
    assert "被评价的工作人员" in page  # named to supervisors
    short = supervisor.post(_url(rectification), {"action": "appeal", "appeal-text": "太短"})
    assert short.status_code == 400 and "申诉理由和证据应为10至2000字" in short.content.decode()
    evidence = "评价人在窗口辱骂工作人员，有录像为证"
    assert (
        supervisor.post(_url(rectification), {"action": "appeal", "appeal-text": evidence}).status_code == 302
    )
    assert 'value="set_aside"' not in supervisor.get(_url(rectification)).content.decode()

    province = login(folk["zj_supervisor"])
    page = province.get(_url(rectification)).content.decode()
    assert 'value="set_aside"' in page and evidence in page
    decided = province.post(
        _url(rectification),
        {
            "action": "set_aside",
            "set_aside-decision": "set_aside",
            "set_aside-text": "经核实录像，属恶意差评",
        },
    )
    assert decided.status_code == 302
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.SET_ASIDE and rectification.rating.set_aside


def test_the_staff_member_rated_is_named_to_supervisors_only(login, orgs, folk):  # noqa: F811
    folk["hz_clerk"].display_name = "张窗口"
    folk["hz_clerk"].save(update_fields=["display_name"])
    rectification = _bad(orgs, folk, staff_member=folk["hz_clerk"])
    assert "张窗口" in login(folk["hz_supervisor"]).get(_url(rectification)).content.decode()
    page = login(folk["hz_clerk"]).get(_url(rectification)).content.decode()
    assert "被评价的工作人员" not in page and "<dd>张窗口</dd>" not in page


def test_other_jurisdictions_and_citizens_get_404(login, orgs, folk):  # noqa: F811
    rectification = _bad(orgs, folk)
    outsider = login(folk["nb_supervisor"])
    assert outsider.get(_url(rectification)).status_code == 404
    assert (
        outsider.post(_url(rectification), {"action": "callback", "callback-text": "已联系"}).status_code
        == 404
    )
    assert _url(rectification) not in outsider.get(QUEUE).content.decode()
    assert outsider.get("/workbench/rectifications/99999/").status_code == 404


def test_a_citizen_is_refused(client, orgs, folk):  # noqa: F811
    rectification = _bad(orgs, folk)
    client.force_login(folk["applicant"])
    assert client.get(QUEUE).status_code == 404
    assert client.get(_url(rectification)).status_code == 404


def test_the_nav_entry_is_shown_to_those_who_work_rectifications(login, orgs, folk):  # noqa: F811
    _bad(orgs, folk)
    assert "差评整改" in login(folk["hz_clerk"]).get("/workbench/").content.decode()
