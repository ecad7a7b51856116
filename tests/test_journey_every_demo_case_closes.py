"""Every case the demo can start can close, with demo accounts only.

For every implementation entry of the demo organisations (司法部, 浙江省司法厅, 杭州市司法局, 西湖区 and
上城区司法局, 西湖区法律援助中心, 北山街道司法所) that takes cases — so every shipped process file at
every level it runs at — a demo applicant applies (通知辩护 arrives as the data exchange delivers it)
(one refused by the one-licence rule, 律师法 §10, demonstrates the refusal and a demo newcomer applies
instead) and each open step is taken by the first demo account the workflow lets act on it, through the
workflow commands as that account (``tests/demo_walk.py``). The case must end, and the public
tracking page (``/track/``, 办件编号 + 查询码, no login) must say so. A step no demo account may take
fails the test listing (process, step, role, organisation) of every such step.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from sifa.accounts.management.commands import _demo
from sifa.applications.models import ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.processes import process_available
from sifa.catalogue.tests.conftest import CATALOGUE_TREE
from sifa.core import limits
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import load_cases
from sifa.testing import load_catalogue, tree
from sifa.workflow.engine.registry import PROCESS_DIR
from tests.demo_walk import NOTICE_PROCESS, walk

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=40)]

DEMO_ORGANISATIONS = ("ministry", "province", "city", "county", "other_county", "legal_aid", "township")


@pytest.fixture
def demo_world(settings, tmp_path):
    """The catalogue tree with 上城区 (the demo's second county) before the catalogue, so its
    entries exist as they do after `sifa build-organisations`; `load-demo`, the demo exchange
    partners and the demo cases (陈明's 律师执业证 and the firm's licence, which the change,
    re-issue and cancellation items act on)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tree(*CATALOGUE_TREE, "sc")
    load_catalogue()
    seed_calendar(2026, 2026)
    db_calendar.forget()
    limits.clear()
    call_command("load-demo", verbosity=0)
    call_command("exchange", "load-partners", verbosity=0)
    load_cases()
    yield
    db_calendar.forget()
    limits.clear()


def _status_on_tracking_page(number: str, code: str) -> str:
    limits.clear()  # one tracking query per case: the per-address limit is not what is tested
    page = Client().post("/track/", {"number": number, "code": code})
    assert page.status_code == 200, (number, page.status_code)
    found = re.search(r"<dt>办理状态</dt><dd>(.*?)</dd>", page.content.decode(), re.S)
    assert found, number
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_every_demo_case_is_closed_by_demo_accounts(demo_world):
    found = _demo.find_tree()
    organisations = {getattr(found, name).pk for name in DEMO_ORGANISATIONS}
    entries = [
        entry
        for entry in ImplementationEntry.objects.filter(organisation_id__in=organisations, status="active")
        .select_related("item", "version__process", "organisation", "accepting_organisation")
        .order_by("organisation__path", "item__basic_code")
        if process_available(entry.version) or entry.version.process.bpmn_file == f"{NOTICE_PROCESS}.bpmn"
    ]
    walks = [walk(entry) for entry in entries]

    gaps = [w.gap for w in walks if w.gap]
    assert not gaps, "没有演示账户可以办理的环节（流程, 环节, 角色, 机构）：\n" + "\n".join(map(str, gaps))
    shipped = {path.stem for path in PROCESS_DIR.glob("*.bpmn")}
    assert {w.process for w in walks} == shipped, shipped - {w.process for w in walks}
    assert len({(w.item, w.organisation) for w in walks}) == len(walks) >= 27

    for done in walks:
        assert done.status == ApplicationStatus.DELIVERED, (done.item, done.organisation, done.status)
        if done.query_code:  # a notice's suspect has no query code: the notifying organ is answered
            shown = _status_on_tracking_page(done.number, done.query_code)
            assert shown.strip() == "已办结", (done.item, done.organisation, shown)
    # The level each process runs at is walked: e.g. the lawyer's licence is issued and delivered
    # by demo accounts after the province's decision, the 上城区 objection decided by its bureau.
    steps = {(w.item, w.organisation): w.steps for w in walks}
    # 律师法 §10, on purpose: 陈明 and the demo firm hold the licences load_cases issued, so an item that
    # would issue a second is refused to them at the draft; a newcomer (a demo account holding none)
    # applies instead and the case closes.
    refused = {(w.item, w.organisation): w.refused for w in walks if w.refused}
    assert set(refused.values()) == {"application.licence_already_held"}
    assert {("律师执业许可（专职律师执业）", "杭州市司法局"), ("律师事务所设立许可", "杭州市司法局")} <= set(
        refused
    )
    lawyer = steps[("律师执业许可（专职律师执业）", "杭州市司法局")]
    assert [title for title, _user in lawyer] == ["受理", "市级审查", "省级审核决定", "颁发、送达"]
    assert steps[("法律援助异议处理", "杭州市上城区司法局")][1][1] == "demo-county2"
