"""The tree (司法部 → 浙江省司法厅 → 杭州市司法局 / 宁波市司法局; 北京市司法局) and the people of the
notices CMS: a drafter at 杭州, reviewers at 杭州 and 浙江, staff of 宁波 and 北京 (other subtrees)."""

from __future__ import annotations

import pytest

from sifa.disclosure import services
from sifa.organisations.models import Role
from sifa.testing import staff, tree


@pytest.fixture
def orgs(db):
    return tree("ministry", "zj", "hz", "nb", "bj")


@pytest.fixture
def people(orgs):
    return {
        "hz_clerk": staff("hz-clerk", orgs["hz"], Role.WINDOW_CLERK),
        "hz_supervisor": staff("hz-supervisor", orgs["hz"], Role.SUPERVISOR),
        "hz_decider": staff("hz-decider", orgs["hz"], Role.DECISION_MAKER, Role.WINDOW_CLERK),
        "hz_reviewer": staff("hz-reviewer", orgs["hz"], Role.REVIEWER),
        "zj_supervisor": staff("zj-supervisor", orgs["zj"], Role.SUPERVISOR),
        "nb_supervisor": staff("nb-supervisor", orgs["nb"], Role.SUPERVISOR),
        "bj_supervisor": staff("bj-supervisor", orgs["bj"], Role.SUPERVISOR),
    }


TITLE = "关于调整律师执业许可窗口办公时间的通知"
BODY = "自2026年12月1日起，杭州市司法局政务服务窗口工作日办公时间调整为上午9:00至下午5:00。\n\n特此通知。"


def draft(user, organisation, **fields):
    values = {"organisation": organisation.pk, "category": "notice", "title": TITLE, "body": BODY, **fields}
    return services.save_draft(user, **values)


def published(author, reviewer, organisation, **fields):
    notice = draft(author, organisation, **fields)
    services.submit(author, notice.public_id)
    return services.review(
        reviewer, notice.public_id, decision="publish", confirmed=True, opinion="经审查，可以公开"
    )
