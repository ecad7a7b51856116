"""Scope matrix (security bar S1): no one sees another citizen's or another jurisdiction's rows, in
any personal or case model family, through any API list or detail or any page.

The world is the probes' demo world (``tests/probe_world.py``: 陈明's delivered case, licence and
documents in 西湖区, accepted at 杭州市). On top, canaries owned by citizen B, 赵金诚 of 上城区: a
case delivered through the real services (application, materials, documents, licence, messages,
deliveries), a second case waiting for acceptance (an open work item), a wallet authorisation of
his licence, a staff read of his data (access log), his person, company and mandate rows. Every
family has markers — strings that identify its canary rows in any answer (ids, public ids,
numbers, a distinctive purpose or filename).

:func:`matrix` requests, as each identity (logged in for real: bearer token for the API, the
login page for pages), every API list endpoint, the pages that list each family, and every detail
address of every canary it must not see (forged ids), and returns the leaks: a banned marker in a
body, or a 2xx on a banned detail. The test asserts there are none. The mutation test removes
one family's scope at a time (``scoped`` returns that model's rows unfiltered, and the family's
own-rows selectors return every row) and asserts the matrix then reports a leak in that family:
a family whose leak the matrix cannot see fails there.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.db.models import QuerySet
from django.test import Client
from rest_framework.test import APIClient

from sifa.accounts import services as accounts
from sifa.accounts.models import LegalPerson, Mandate, NaturalPerson, User
from sifa.accounts.tests import factories
from sifa.applications.models import Application, ApplicationMaterial
from sifa.audit.models import PersonalDataAccess
from sifa.audit.services import record_access
from sifa.consultation import services as consultation
from sifa.consultation.models import Ticket
from sifa.core import limits
from sifa.deadlines import db_calendar
from sifa.demo.cases import LAWYER_FULL_TIME, DemoCase, drive
from sifa.documents.models import Document
from sifa.exchange.models import ExchangeMessage
from sifa.licences import services as licences
from sifa.licences.models import Licence, LicenceAuthorisation
from sifa.notifications.models import Delivery, Notification
from sifa.organisations import scope
from sifa.organisations.models import Role
from sifa.workflow.models import WorkItem, WorkItemStatus
from tests import probe_world
from tests.probe_world import World, routes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

NOT_LIST_ENDPOINTS = {"schema/", "docs/"}
FAMILIES = (
    "persons",
    "companies",
    "mandates",
    "applications",
    "materials",
    "work_items",
    "documents",
    "licences",
    "authorisations",
    "notifications",
    "messages",
    "access_log",
    "consultations",
    "exchange",
)
PAGE_LISTS = (
    "/me/",
    "/me/materials/",
    "/me/messages/",
    "/me/access-log/",
    "/me/licences/",
    "/me/documents/",
    "/me/mandates/",
    "/workbench/",
    "/workbench/overdue/",
    "/workbench/licences/",
    "/workbench/deliveries/failed/",
    "/workbench/window/",
    "/consultations/",
    "/workbench/consultations/",
    "/workbench/consultations/?status=all",
)
"""The pages that list a family's rows (a new list page belongs here)."""
PUBLIC_REGISTERS = {
    "/api/v1/directory/": (
        "机构人员查询 publishes a licence holder's name and a law firm's name, as the law makes them public "
        "(行政许可法 §40, docs/directory.md); every other marker (ids, USCC, masked ID numbers) is still checked"
    ),
}
"""Public registers: the names of an owner's people and companies are not leaks there."""


def list_endpoints() -> list[str]:
    """Every GET endpoint under /api/v1/ that takes no path parameter."""
    return sorted(
        {
            p
            for p in routes()
            if "<" not in p
            and "(?P" not in p
            and p.startswith("/api/v1/")
            and p.removeprefix("/api/v1/") not in NOT_LIST_ENDPOINTS
        }
    )


# --- the canaries -------------------------------------------------------------------------------


@dataclass
class Owner:
    """A citizen's canary rows: markers per family, and the detail addresses that name them."""

    user: User
    markers: dict[str, set[str]] = field(default_factory=dict)
    details: dict[str, list[str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    """The person's and the company's names, public in :data:`PUBLIC_REGISTERS` (licence holders)."""


def _owner(user: User) -> Owner:
    owner = Owner(user)
    m, d = owner.markers, owner.details
    person = NaturalPerson.objects.filter(user=user).first()
    company = LegalPerson.objects.filter(user=user).first()
    m["persons"] = {str(person.id), person.name, person.id_number_masked} if person else set()
    m["companies"] = {str(company.id), company.uscc, company.name} if company else set()
    d["persons"] = [f"/api/v1/persons/{person.id}/"] if person else []
    d["companies"] = [f"/api/v1/companies/{company.id}/"] if company else []
    owner.names = {x.name for x in (person, company) if x is not None}
    mandates = Mandate.objects.filter(principal=user)
    m["mandates"] = {str(x.id) for x in mandates}
    d["mandates"] = [f"/api/v1/mandates/{x.id}/" for x in mandates]

    apps = list(Application.objects.filter(applicant=user).exclude(number=None))
    m["applications"] = {a.number for a in apps} | {str(a.pk) for a in apps}
    d["applications"] = [
        url
        for a in apps
        for url in (
            f"/api/v1/applications/{a.number}/",
            f"/api/v1/applications/{a.pk}/",
            f"/api/v1/applications/{a.number}/findings/",
            f"/api/v1/cases/{a.number}/",
            f"/me/applications/{a.number}/",
            f"/me/applications/{a.pk}/",
            f"/workbench/cases/{a.number}/",
        )
    ]
    materials = ApplicationMaterial.objects.filter(application__in=apps).exclude(storage_key="")
    m["materials"] = {str(x.pk) for x in materials}
    d["materials"] = [
        url
        for x in materials
        for url in (
            f"/api/v1/applications/{x.application.number}/materials/{x.pk}/file/",
            f"/me/applications/{x.application.number}/materials/{x.pk}/file/",
            f"/workbench/cases/{x.application.number}/materials/{x.pk}/",
        )
    ]
    items = WorkItem.objects.filter(application__in=apps, status=WorkItemStatus.OPEN)
    # The worklist names an open item by its case and task: both together are the marker.
    m["work_items"] = {f"{i.application.number}" for i in items}
    d["work_items"] = [f"/workbench/cases/{i.application.number}/actions/accept/" for i in items]
    documents = Document.objects.filter(related_id__in=[a.number for a in apps])
    m["documents"] = {str(x.public_id) for x in documents}
    d["documents"] = [
        url
        for x in documents
        for url in (f"/api/v1/documents/{x.public_id}/pdf/", f"/me/documents/{x.public_id}/pdf/")
    ]
    held = Licence.objects.filter(holder=user)
    m["licences"] = {x.identifier for x in held}
    d["licences"] = [
        url
        for x in held
        for url in (
            f"/api/v1/licences/{x.identifier}/pdf/",
            f"/api/v1/staff/licences/{x.identifier}/",
            f"/api/v1/me/licences/{x.identifier}/authorisations/",
            f"/api/v1/me/licences/{x.identifier}/uses/",
            f"/me/licences/{x.identifier}/",
            f"/me/licences/{x.identifier}/pdf/",
            f"/workbench/licences/{x.identifier}/",
        )
    ]
    grants = LicenceAuthorisation.objects.filter(licence__holder=user)
    m["authorisations"] = {str(g.id) for g in grants} | {g.purpose for g in grants}
    d["authorisations"] = [
        url
        for g in grants
        for url in (
            f"/me/licences/{g.licence.identifier}/authorisations/{g.id}/revoke/",
            # An authorised use: only the grantee's staff may download the holder's licence.
            f"/api/v1/licences/{g.licence.identifier}/pdf/",
        )
    ]
    messages = Notification.objects.filter(recipient=user)
    m["messages"] = {str(x.public_id) for x in messages}
    d["messages"] = []  # reading a message is a POST
    deliveries = Delivery.objects.filter(notification__recipient=user)
    m["notifications"] = {str(x.public_id) for x in deliveries}
    d["notifications"] = []  # resending is a POST
    reads = PersonalDataAccess.objects.filter(subject=user)
    m["access_log"] = {x.purpose for x in reads if "（探针）" in x.purpose}
    d["access_log"] = []
    tickets = Ticket.objects.filter(asker=user)
    m["consultations"] = {x.number for x in tickets} | {x.title for x in tickets if "（探针）" in x.title}
    d["consultations"] = [
        url
        for x in tickets
        for url in (
            f"/api/v1/consultations/{x.number}/",
            f"/consultations/{x.number}/",
            f"/workbench/consultations/{x.number}/",
        )
    ]
    # Exchange messages about the owner's cases (the court's 通知辩护 received for B's case).
    exchanged = ExchangeMessage.objects.filter(case_number__in=[a.number for a in apps])
    m["exchange"] = {str(x.message_id) for x in exchanged}
    d["exchange"] = []  # the log has no detail address
    return owner


def _exchange_canary(organisation: Any, case_number: str) -> None:
    """The court's signed 通知辩护 about ``case_number``, received and answered by ``organisation``."""
    import tempfile
    from pathlib import Path

    from sifa.exchange.services import envelopes, partners
    from sifa.exchange.services.inbox import receive

    with tempfile.TemporaryDirectory() as folder:
        court = partners.load_demo_partners(Path(folder))["court"]
        signer = partners.demo_signer("court", Path(folder))
    header = {
        "kind": "request",
        "issue": case_number,
        "purpose": "通知法律援助机构指派律师（探针）",
        "service": {"code": "legal-aid.notify", "version": "1"},
        "sender": court.uscc,
        "receiver": organisation.uscc,
        "user_id": {"official": "审判员（探针）", "organisation": court.name},
    }
    body = {
        "case_number": case_number,
        "suspect": {"name": "赵金诚", "id_number": "330102199001011234"},
        "court_or_organ": court.name,
        "notified_at": dt.date.today().isoformat(),
    }
    receive(envelopes.seal(header, body, signer=signer).as_wire())


@dataclass
class Matrix:
    world: World
    owners: dict[str, Owner]
    forbidden: dict[str, dict[str, tuple[str, ...]]]
    """identity → owner → the families of that owner's canaries it must never see."""
    viewers: dict[str, str]
    """family → an identity that does see the canary of B (the markers are real)."""
    clients: dict[str, tuple[Client, Client]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker) -> Iterator[Matrix]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            db_calendar.forget()
            limits.clear()


def _build() -> Matrix:
    world = probe_world.build()
    orgs = world.orgs
    # Citizen B in 上城区 with his own delivered case, a pending one, a grant, a staff read.
    id_number, phone = factories.id_number("330102"), "13912340001"  # not a demo account's number
    east = factories.person(region_code="330102", name="赵金诚", id_number=id_number, phone=phone)
    east_other = factories.person(region_code="330102", name="钱玉洁", phone="13912340002").user
    east_company = factories.company(
        region_code="330102", name="上城金诚律师事务所", phone="13912340003"
    ).user
    b = east.user
    form = {
        "applicant_name": "赵金诚",
        "id_number": id_number,
        "phone": phone,
        "address": "杭州市上城区清波街道1号",
        "law_firm": "上城金诚律师事务所",
        "qualification_number": "A20207654321",
    }
    case = DemoCase("canary", LAWYER_FULL_TIME, b, form, {})
    drive(case, orgs["hz"])
    from sifa.applications import services as applications
    from sifa.catalogue.models import ImplementationEntry
    from sifa.workflow.services import start_case
    from tests.probe_world import _upload_all  # the same uploads the demo applicant makes

    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
    demo_users = {u.username: u for u in User.objects.filter(is_demo=True)}
    pending = applications.start_draft(entry, actor=b, form_data=form)
    _upload_all(pending, b)
    applications.submit(pending, actor=b)
    applications.run_pre_review(pending.pk)
    pending.refresh_from_db()
    start_case(pending)
    licence = Licence.objects.filter(holder=b).first()
    licences.grant(
        licence,
        holder=b,
        purpose="赵金诚授权核验（探针）",
        valid_until=dt.date.today() + dt.timedelta(days=30),
        organisation_id=orgs["hz"].pk,
    )
    accounts.create_mandate(
        principal=b,
        agent=east_other,
        scope=[],
        valid_from=dt.date.today(),
        valid_until=dt.date.today() + dt.timedelta(days=30),
        document_reference="委托书（测试）",
    )
    demo = demo_users
    record_access(
        reader=demo["demo-county2"],
        subject=b,
        subject_ref=str(b.public_id),
        object_type="accounts.NaturalPerson",
        purpose="核查赵金诚执业信息（探针）",
        scope_path=b.scope_path,
    )
    # B's consultation, asked online about 上城区: answered by 上城区司法局.
    consultation.create_ticket(
        b,
        channel="web",
        category="practice",
        region="330102",
        title="赵金诚咨询律师执业（探针）",
        question="我想了解申请律师执业需要准备哪些材料，实习期满后多久可以申请？",
    )
    _exchange_canary(orgs["hz"], Application.objects.filter(applicant=b).exclude(number=None).first().number)
    # Citizen C, 孙金窗 of 上城区, walks in at the 上城区 window, which files his application for
    # 杭州市 (一窗受理): that window sees it; the 西湖区 window and the 司法所 below it do not.
    c_id = factories.id_number("330102")
    walker = factories.person(region_code="330102", name="孙金窗", id_number=c_id, phone="13912340004").user
    walk_in = applications.start_draft(
        entry,
        actor=demo_users["demo-county2"],
        walk_in={"kind": "person", "name": "孙金窗", "id_number": c_id},
        form_data={**form, "applicant_name": "孙金窗", "id_number": c_id, "phone": "13912340004"},
        channel="window",
    )
    _upload_all(walk_in, demo_users["demo-county2"])
    applications.submit(walk_in, actor=demo_users["demo-county2"])
    applications.run_pre_review(walk_in.pk)
    walk_in.refresh_from_db()
    start_case(walk_in)
    citizen = world.users["citizen"]
    record_access(
        reader=demo["demo-county"],
        subject=citizen,
        subject_ref=str(citizen.public_id),
        object_type="accounts.NaturalPerson",
        purpose="核查陈明执业信息（探针）",
        scope_path=citizen.scope_path,
    )
    # A failed delivery of B's (the monitors' list shows trouble only).
    Delivery.objects.filter(pk=Delivery.objects.filter(notification__recipient=b).first().pk).update(
        status="failed"
    )
    Delivery.objects.filter(pk=Delivery.objects.filter(notification__recipient=citizen).first().pk).update(
        status="failed"
    )
    # A supervisor of 西湖区 only: B's deliveries are outside his jurisdiction.
    supervisor = factories.staff(orgs["xh"], Role.SUPERVISOR, username="xh-supervisor")
    # Staff of another city altogether (北京市东城区): nothing of 杭州 is theirs.
    dongcheng = factories.staff(
        orgs["dc"],
        Role.WINDOW_CLERK,
        Role.REVIEWER,
        Role.DECISION_MAKER,
        Role.SUPERVISOR,
        username="dc-staff",
    )

    world.users |= {
        "b": b,
        "company": next(u for u in demo.values() if u.kind == "company"),
        "staff-county2": demo["demo-county2"],
        "staff-supervisor-xh": supervisor,
        "staff-dongcheng": dongcheng,
        "staff-province": demo["demo-province"],
    }
    world.login |= {
        "b": phone,
        "company": "13800000003",
        "staff-county2": "demo-county2",
        "staff-dongcheng": "dc-staff",
        "staff-supervisor-xh": "xh-supervisor",
    }
    world.passwords |= {
        "b": factories.PASSWORD,
        "company": world.passwords["citizen"],
        "staff-county2": world.passwords["citizen"],
        "staff-supervisor-xh": factories.PASSWORD,
        "staff-dongcheng": factories.PASSWORD,
    }
    owners = {"a": _owner(citizen), "b": _owner(b), "b-company": _owner(east_company), "c": _owner(walker)}
    everything = FAMILIES
    forbidden = {
        "anonymous": {"a": everything, "b": everything, "b-company": everything, "c": everything},
        "citizen": {"b": everything, "b-company": everything, "c": everything},
        "company": {"a": everything, "b": everything, "b-company": everything, "c": everything},
        # 一窗受理, least privilege (docs/workflow.md, "Who may see and act"): a window below 杭州市
        # sees none of the city's cases it did not receive — neither B's online ones nor C's
        # walk-in received at the 上城区 window (issue 14: a 上城区 clerk does not read a 西湖区
        # resident's online application to 杭州市).
        "staff-county": {"b": everything, "b-company": everything, "c": everything},
        "staff-township": {"b": everything, "b-company": everything, "c": everything},
        "staff-county2": {"a": everything},
        "staff-dongcheng": {"a": everything, "b": everything, "b-company": everything, "c": everything},
        "staff-supervisor-xh": {"b": everything, "b-company": everything, "c": everything},
    }
    viewers = {
        "persons": "staff-county2",
        "companies": "staff-county2",
        "mandates": "b",
        "applications": "b",
        "materials": "b",
        "work_items": "staff-city",
        "documents": "b",
        "licences": "b",
        "authorisations": "b",
        "notifications": "staff-province",
        "messages": "b",
        "access_log": "b",
        "consultations": "b",
        "exchange": "staff-city",
    }
    built = Matrix(world, owners, forbidden, viewers)
    # Log everyone in now, in the module's transaction: a login inside a test rolls back with it.
    for name in {*forbidden, *viewers.values()}:
        _clients(built, name)
    return built


# --- the matrix ---------------------------------------------------------------------------------


def _clients(m: Matrix, name: str) -> tuple[Client, Client]:
    """(pages, api) for ``name``, logged in for real once per module."""
    if name not in m.clients:
        if name == "anonymous":
            m.clients[name] = (Client(), APIClient())
        else:
            api = probe_world.token_login(m.world, name)
            pages = probe_world.session_login(m.world, name, steps_ahead=1)
            m.clients[name] = (pages, api)
    return m.clients[name]


def _text(pages: Client, api: Client, url: str) -> tuple[int, str]:
    """The status and the text of every page of a list (bounded), or of the single answer."""
    client = api if url.startswith("/api/") else pages
    texts, status, next_url = [], 0, url
    for _ in range(25):
        if not next_url:
            break
        response = client.get(next_url)
        status = status or response.status_code
        assert response.status_code < 500, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        texts.append(body.decode(errors="replace"))
        try:
            data = json.loads(texts[-1])
        except ValueError:
            break
        next_url = data.get("next") if isinstance(data, dict) else None
    limits.clear()
    return status, "\n".join(texts)


def matrix(m: Matrix, families: tuple[str, ...] = FAMILIES) -> list[tuple[str, str, str, str]]:
    """(identity, address, family, what leaked) for every leak found."""
    leaks = []
    lists = [*list_endpoints(), *PAGE_LISTS]
    for name, banned in m.forbidden.items():
        pages, api = _clients(m, name)
        for url in lists:
            _status, text = _text(pages, api, url)
            for owner, owner_families in banned.items():
                for family in set(families) & set(owner_families):
                    markers = m.owners[owner].markers[family]
                    if url in PUBLIC_REGISTERS:
                        markers = markers - m.owners[owner].names
                    leaks += [(name, url, family, mk) for mk in markers if mk in text]
        for owner, owner_families in banned.items():
            for family in set(families) & set(owner_families):
                for url in m.owners[owner].details[family]:
                    status, _body = _text(pages, api, url)
                    if 200 <= status < 300:
                        leaks.append((name, url, family, f"HTTP {status}"))
    return leaks


def test_no_identity_sees_a_canary_of_another_citizen_or_jurisdiction(matrix_world):
    leaks = matrix(matrix_world)
    assert not leaks, "\n".join(map(str, leaks))


def test_staff_reads_outside_scope_answer_404(matrix_world):
    """A detail outside a staff member's scope is "not found" — never 403, which would confirm
    that the row exists. (The citizen space ``/me/`` answers every staff member 403, whatever the
    address: it confirms nothing.)"""
    m = matrix_world
    answers = {}
    for name, banned in m.forbidden.items():
        if m.world.users.get(name) is None or m.world.users[name].kind != "staff":
            continue
        pages, api = _clients(m, name)
        for owner, families in banned.items():
            for family in families:
                for url in m.owners[owner].details[family]:
                    if url.startswith("/me/"):
                        continue
                    status, _body = _text(pages, api, url)
                    if status != 404:
                        answers[(name, url)] = status
    assert answers == {}


def test_every_family_has_canaries_that_their_viewers_do_see(matrix_world):
    """The matrix must not pass by hiding everything: B's rows exist, and someone allowed sees them."""
    m = matrix_world
    b = m.owners["b"]
    lists = [*list_endpoints(), *PAGE_LISTS]
    unseen = {}
    for family in FAMILIES:
        owner = m.owners["b-company"] if family == "companies" else b
        assert owner.markers[family], f"{family}: no canary rows"
        pages, api = _clients(m, m.viewers[family])
        text = "\n".join(_text(pages, api, url)[1] for url in lists + owner.details[family][:1])
        if not any(mk in text for mk in owner.markers[family]):
            unseen[family] = m.viewers[family]
    assert unseen == {}


def test_a_window_sees_the_walk_in_it_received_and_its_reads_are_credited_to_it(matrix_world):
    """The other side of the matrix: C's walk-in, received at the 上城区 window for 杭州市, is open to
    that window (API and page), and each read is in C's access log under 上城区司法局."""
    m = matrix_world
    pages, api = _clients(m, "staff-county2")
    [number] = [mk for mk in m.owners["c"].markers["applications"] if mk.startswith("SF")]
    assert api.get(f"/api/v1/cases/{number}/").status_code == 200
    assert pages.get(f"/workbench/cases/{number}/").status_code == 200
    reads = PersonalDataAccess.objects.filter(subject=m.owners["c"].user, subject_ref=number)
    assert {(r.reader_organisation.name, r.reader_role) for r in reads} == {
        ("杭州市上城区司法局", Role.WINDOW_CLERK)
    }
    assert reads.count() == 2


# --- mutations: one family's scope removed at a time ---------------------------------------------

FAMILY_MODELS: dict[str, tuple[type, ...]] = {
    "persons": (NaturalPerson,),
    "companies": (LegalPerson,),
    "mandates": (Mandate,),
    "applications": (Application,),
    "materials": (ApplicationMaterial,),
    "work_items": (WorkItem,),
    "documents": (Document,),
    "licences": (Licence,),
    "authorisations": (LicenceAuthorisation,),
    "notifications": (Delivery,),
    "messages": (Notification,),
    "access_log": (PersonalDataAccess,),
    "consultations": (Ticket,),
    "exchange": (ExchangeMessage,),
}


def _own_rows_selectors() -> dict[str, list[tuple[Callable[..., Any], Callable[..., Any]]]]:
    """The selectors that guard a family's rows by owner or grant rather than through ``scoped``,
    each with its unguarded stand-in."""
    from sifa.applications import selectors as applications
    from sifa.audit import selectors as audit
    from sifa.consultation.selectors import tickets
    from sifa.licences import selectors as wallet
    from sifa.notifications import selectors as inbox

    return {
        "materials": [
            (
                applications.material,
                lambda actor, ref, material_id: ApplicationMaterial.objects.get(pk=material_id),
            )
        ],
        "messages": [(inbox.my_messages, lambda user, **kw: Notification.objects.order_by("-pk"))],
        "licences": [(wallet.my_licences, lambda user: Licence.objects.select_related("licence_type"))],
        "authorisations": [
            (
                wallet.authorisation_for,
                lambda licence, user: licence.authorisations.filter(revoked_at=None).first(),
            )
        ],
        "access_log": [(audit.my_access_log, lambda user: PersonalDataAccess.objects.order_by("-id"))],
        "consultations": [
            (tickets.mine, lambda user: Ticket.objects.select_related("organisation").order_by("-id")),
            (tickets.for_asker, lambda user, number: Ticket.objects.get(number=number)),
        ],
    }


def _patch_everywhere(monkeypatch: pytest.MonkeyPatch, original: Any, replacement: Any) -> None:
    """Replace ``original`` in every ``sifa`` module that holds it (views import names directly)."""
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("sifa"):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attr, replacement)


def remove_scope(monkeypatch: pytest.MonkeyPatch, family: str) -> None:
    models = FAMILY_MODELS[family]
    original = scope.scoped

    def unscoped(queryset: QuerySet, actor: Any, **kwargs: Any) -> QuerySet:
        if queryset.model in models:
            return queryset
        return original(queryset, actor, **kwargs)

    _patch_everywhere(monkeypatch, original, unscoped)
    for selector, stand_in in _own_rows_selectors().get(family, []):
        _patch_everywhere(monkeypatch, selector, stand_in)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_matrix_catches_a_family_whose_scope_is_removed(matrix_world, monkeypatch, family):
    remove_scope(monkeypatch, family)
    leaks = matrix(matrix_world, (family,))
    assert leaks, f"{family}: the matrix found no leak with its scope removed: it has no teeth there"
