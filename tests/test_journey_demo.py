"""`sifa load-demo-cases`: the demo lawyer and law firm hold real licences, issued by the workflow.

After `sifa load-demo`, the demo cases run through the real services to delivery; the holders can
see their licences and documents, anyone can verify them, and a second run changes nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.accounts.management.commands import _demo
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import start_draft
from sifa.applications.tests.conftest import _media  # noqa: F401  (fixture)
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import _org, _region, cat, loaded  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import load_cases
from sifa.demo.listing import listing
from sifa.demo.mandates import load_mandates
from sifa.documents.models import Document
from sifa.licences.models import Licence
from sifa.organisations.models import OrganisationKind

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def demo(cat):  # noqa: F811
    """The catalogue test tree plus 上城区 (the demo's second county), the calendar and `load-demo`."""
    shangcheng = _region("330102", "上城区", 3, cat["orgs"]["hz"].region)
    _org("杭州市上城区司法局", OrganisationKind.BUREAU, 4, shangcheng, cat["orgs"]["hz"])
    seed_calendar(2026, 2026)
    db_calendar.forget()
    cache.clear()
    call_command("load-demo")
    yield cat["orgs"]
    db_calendar.forget()
    cache.clear()


def test_demo_cases_give_the_lawyer_and_the_law_firm_verifiable_licences(demo):
    cases = load_cases()
    assert {c.status for c in cases.values()} == {ApplicationStatus.DELIVERED}

    rows = {r["username"]: r for r in listing()}
    lawyer = rows[_demo.CITIZEN["phone"]]
    firm = rows[_demo.COMPANY["phone"]]
    assert [lic["name"] for lic in lawyer["licences"]] == ["律师执业证"]
    assert [lic["name"] for lic in firm["licences"]] == ["律师事务所执业许可证"]
    assert all(lic["issuer"] == "浙江省司法厅" for lic in lawyer["licences"] + firm["licences"])

    anyone = APIClient()
    for row in (lawyer, firm):
        [licence] = row["licences"]
        answer = anyone.get(f"/api/v1/licences/verify/{licence['identifier']}/").json()
        assert answer["authentic"] is True and answer["status"] == "valid", answer

    # The holders received the acceptance notice and the decision letter, each sealed and numbered.
    for case in cases.values():
        titles = set(Document.objects.filter(related_id=case.number).values_list("title", flat=True))
        assert titles == {"受理通知书", "准予行政许可决定书"}, titles

    # Again: nothing new — same applications, licences and documents.
    before = (Application.objects.count(), Licence.objects.count(), Document.objects.count())
    again = load_cases()
    assert {k: a.pk for k, a in again.items()} == {k: a.pk for k, a in cases.items()}
    assert (Application.objects.count(), Licence.objects.count(), Document.objects.count()) == before


def test_demo_accounts_json_names_the_holders_and_their_licence_identifiers(demo, capsys):
    load_cases()
    capsys.readouterr()
    call_command("demo-accounts", "--json")
    rows = json.loads(capsys.readouterr().out)
    holders = {r["display_name"]: r["licences"] for r in rows if r["licences"]}
    assert set(holders) == {_demo.CITIZEN["name"], _demo.COMPANY["name"]}
    assert all(lic["identifier"].startswith("1.2.156.3005.2.") for lics in holders.values() for lic in lics)


def test_the_demo_law_firm_holds_its_clients_mandate_and_can_apply_for_her(demo, capsys):
    mandate = load_mandates()
    assert load_mandates() == mandate  # idempotent
    client, firm = mandate.principal, mandate.agent
    assert (client.display_name, firm.display_name) == (_demo.CLIENT["name"], _demo.COMPANY["name"])

    # The firm (a company account) starts a 律师执业许可 application for 王丽 under it.
    entry = ImplementationEntry.objects.get(item__basic_code="000100001001", organisation=demo["hz"])
    draft = start_draft(entry, actor=firm, on_behalf_of=str(client.public_id))
    assert (draft.applicant, draft.agent, draft.mandate) == (client, firm, mandate)

    capsys.readouterr()
    call_command("demo-accounts", "--json")
    rows = {r["display_name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[_demo.CLIENT["name"]]["mandates"] == [
        {
            "role": "principal",
            "other": firm.display_name,
            "items": ["律师执业许可"],
            "valid_until": str(mandate.valid_until),
        }
    ]
    assert rows[_demo.COMPANY["name"]]["mandates"][0]["role"] == "agent"
    call_command("demo-accounts")
    assert f"受托于 {_demo.CLIENT['name']}：律师执业许可" in capsys.readouterr().out
    # The window clerks the walk-in journey needs: a township and a county window.
    windows = {r["username"] for r in rows.values() if "window_clerk" in r["roles"]}
    assert {"demo-township", "demo-county"} <= windows
