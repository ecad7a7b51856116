"""S1, the cross-jurisdiction matrix (issue 14, security bar S1): no one sees another citizen's or
another jurisdiction's rows, in any personal or case model family, through any API list or detail,
any sub-resource or any page, with any verb — and everyone sees what is in their scope.

The world is the probes' demo world (``tests/probe_world.py``: 陈明's delivered case, licence and
documents in 西湖区, accepted at 杭州市). On top, canaries owned by citizen B, 赵金诚 of 上城区: a
case delivered through the real services (application, materials, documents, licence, messages,
deliveries), a second case waiting for acceptance (an open work item), a wallet authorisation of
his licence, a staff read of his data (access log), his person, company and mandate rows, and his
人民调解申请 at a 司法所 of 上城区, being mediated (a session recorded). Every
family has markers — strings that identify its canary rows in any answer (ids, public ids,
numbers, a distinctive purpose or filename).

:func:`matrix` requests, as each identity (logged in for real: bearer token for the API, the
login page for pages), every API list endpoint, the pages that list each family, and every detail
address of every canary it must not see (forged ids), and returns the leaks: a banned marker in a
body, or a 2xx on a banned detail. The test asserts there are none. The mutation test removes
one family's scope at a time (``scoped`` returns that model's rows unfiltered, and the family's
own-rows selectors return every row) and asserts the matrix then reports a leak in that family:
a family whose leak the matrix cannot see fails there.

The route sweep (below :data:`SWEEP`) generates its requests from the URL resolver: every route
with a parameter × every canary owner's rows × every identity × GET and every write verb routed,
ids as stored and upper-cased. A banned row must answer exactly as a row that does not exist
(never 2xx, never 403 where a missing row gets 404, no marker); a row in the identity's expected
set must answer 2xx. The mutants replay the same requests and stop at the first leak. The figures
go to standard output (one line each); the root ``conftest.py`` prints them in the run's summary.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Q, QuerySet
from django.test import Client
from rest_framework.test import APIClient

from sifa.accounts import consents
from sifa.accounts import services as accounts
from sifa.accounts.models import ConsentRecord, LegalPerson, Mandate, NaturalPerson, User
from sifa.accounts.tests import factories
from sifa.applications.models import Application, ApplicationMaterial
from sifa.audit.models import PersonalDataAccess
from sifa.audit.services import record_access
from sifa.complaints import services as complaints
from sifa.complaints.models import Complaint
from sifa.consultation import services as consultation
from sifa.consultation.models import Ticket
from sifa.core import limits
from sifa.core.licence_ids import LICENCE_ID_ROOT, iso7064_mod37_36
from sifa.deadlines import db_calendar
from sifa.demo.cases import LAWYER_FULL_TIME, DemoCase, drive
from sifa.documents.models import Document
from sifa.evaluation import services as evaluation
from sifa.evaluation.models import Rating, Rectification
from sifa.exchange.models import ExchangeMessage
from sifa.licences import services as licences
from sifa.licences.models import Licence, LicenceAuthorisation
from sifa.mediation.models import MediationCase, MediationSession
from sifa.notifications.models import Delivery, Notification
from sifa.organisations import scope
from sifa.organisations.models import Role
from sifa.workflow.models import WorkItem, WorkItemStatus
from tests import probe_world
from tests.probe_world import World, routes

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=240)]
# On SQLite CI runs only the ``smoke`` tests (docs/testing.md, "The SQLite run beside it"): the
# matrix, the route sweep and the checks beside them, whose queries are where the two databases
# differ. The mutants are not: they prove the matrix and the sweep have teeth — a property of the
# tests, not of the database — and the full suite runs them on PostgreSQL.
smoke = pytest.mark.smoke

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
    "complaints",
    "ratings",
    "consents",
    "mediation",
)
PAGE_LISTS = (
    "/me/",
    "/me/materials/",
    "/me/messages/",
    "/me/access-log/",
    "/me/licences/",
    "/me/documents/",
    "/me/mandates/",
    "/me/privacy/",
    "/workbench/",
    "/workbench/overdue/",
    "/workbench/licences/",
    "/workbench/deliveries/failed/",
    "/workbench/window/",
    "/consultations/",
    "/workbench/consultations/",
    "/workbench/consultations/?status=all",
    "/me/complaints/",
    "/workbench/complaints/",
    "/workbench/complaints/?status=all",
    "/workbench/rectifications/",
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
    rows: dict[str, list[Any]] = field(default_factory=dict)
    """The canary rows themselves, by family (the route sweep fills its addresses from them)."""


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
    complaints_filed = Complaint.objects.filter(complainant=user)
    m["complaints"] = {x.number for x in complaints_filed} | {str(x.public_id) for x in complaints_filed}
    d["complaints"] = [
        url
        for x in complaints_filed
        for url in (
            f"/api/v1/complaints/{x.number}/",
            f"/me/complaints/{x.number}/",
            f"/workbench/complaints/{x.number}/",
        )
    ]
    ratings = Rating.objects.filter(rater=user)
    m["ratings"] = {x.comment for x in ratings if "（探针）" in x.comment}
    d["ratings"] = [
        f"/workbench/rectifications/{r.pk}/" for r in Rectification.objects.filter(rating__in=ratings)
    ]
    # 人民调解: the case (its number, the dispute) and its sessions (the minutes, staff only).
    mediated = MediationCase.objects.filter(application__in=apps).select_related("application")
    sessions = MediationSession.objects.filter(case__in=mediated)
    m["mediation"] = (
        {x.application.number for x in mediated}
        | {x.application.form_data.get("dispute", "") for x in mediated} - {""}
        | {x.summary for x in sessions if "（探针）" in x.summary}
    )
    d["mediation"] = [
        url
        for x in mediated
        for url in (
            f"/api/v1/cases/{x.application.number}/",
            f"/workbench/cases/{x.application.number}/",
            f"/api/v1/applications/{x.application.number}/",
            f"/me/applications/{x.application.number}/",
        )
    ]
    given = ConsentRecord.objects.filter(user=user)
    m["consents"] = {x.object_ref for x in given if "（探针）" in x.object_ref}
    d["consents"] = [f"/me/privacy/consents/{x.pk}/withdraw/" for x in given]
    owner.rows = {
        "applications": apps,
        "drafts": list(Application.objects.filter(applicant=user, number=None)),
        "materials": list(materials),
        "documents": list(documents),
        "licences": list(held),
        "authorisations": list(grants),
        "mandates": list(mandates),
        "persons": [person] if person else [],
        "companies": [company] if company else [],
        "messages": list(messages),
        "notifications": list(deliveries),
        "consultations": list(tickets),
        "exchange": list(exchanged),
        "complaints": list(complaints_filed),
        "ratings": list(Rectification.objects.filter(rating__in=ratings)),
        "consents": list(given),
        "mediation": [x.application for x in mediated],
    }
    return owner


def _mediation_canary(orgs: dict[str, Any], applicant: User, form: dict[str, str]) -> str:
    """B's 人民调解申请 at a 司法所 of 上城区 (清波街道), through the real services: applied online,
    accepted by the 司法所's clerk, mediators of its roster assigned and one session recorded by its
    承办人 (still mediating). Returns the case number."""
    from django.utils import timezone

    from sifa.applications import services as applications
    from sifa.catalogue.models import ImplementationEntry
    from sifa.catalogue.services import generate_entries
    from sifa.mediation import services as mediation
    from sifa.mediation.selectors import roster
    from sifa.organisations.models import OrganisationKind
    from sifa.testing.factories import OrganisationFactory, RegionFactory
    from sifa.workflow.services import start_case
    from sifa.workflow.services.dispatch import run_command
    from tests.probe_world import _upload_all

    street = RegionFactory(code="330102001000", name="清波街道", level=4, parent=orgs["sc"].region)
    town = OrganisationFactory(
        name="清波街道司法所",
        kind=OrganisationKind.JUDICIAL_OFFICE,
        level=5,
        region=street,
        parent=orgs["sc"],
    )
    generate_entries()  # the new 司法所's 实施清单, as the catalogue's load gives every office
    clerk = factories.staff(town, Role.WINDOW_CLERK, Role.REVIEWER, username="sc-town-staff")
    committee = mediation.create_committee(clerk, town, name="清波街道人民调解委员会", kind="township")
    mediation.add_mediator(clerk, committee, name="周慧（探针）", position="director", specialties="邻里纠纷")
    entry = ImplementationEntry.objects.get(item__name="人民调解申请", organisation=town)
    draft = applications.start_draft(
        entry,
        actor=applicant,
        form_data={
            "applicant_name": form["applicant_name"],
            "id_number": form["id_number"],
            "phone": form["phone"],
            "other_party": "吴某",
            "dispute": "（探针）赵金诚与楼上住户吴某因卫生间漏水、维修费用协商不成发生纠纷。",
            "referred_by": "police",
            "preferred_mediators": "周慧（探针）",
        },
    )
    _upload_all(draft, applicant)
    applications.submit(draft, actor=applicant)
    applications.run_pre_review(draft.pk)
    draft.refresh_from_db()
    start_case(draft)
    number = draft.number
    run_command(clerk, number, "accept", {})
    mediators = [m.pk for m in roster(town)]
    run_command(clerk, number, "assign_mediators", {"mediators": mediators})
    run_command(
        clerk,
        number,
        "record_session",
        {
            "held_on": timezone.localdate(),
            "place": "清波街道司法所调解室",
            "mediators": mediators,
            "parties_present": "赵金诚、吴某",
            "summary": "（探针）双方陈述漏水经过，同意先行勘查。",
        },
    )
    return number


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
    requests: list[Any] = field(default_factory=list)
    """The route sweep's requests (:func:`sweep_requests`), made once and reused by the mutants."""


@pytest.fixture(scope="module")
def matrix_world(probe, django_db_blocker) -> Iterator[Matrix]:
    """The probes' world (built once per test process, ``probe``) with the canaries on top, in the
    module's transaction."""
    with django_db_blocker.unblock():
        try:
            with probe.use() as world:
                yield _build(world)
        finally:
            db_calendar.forget()
            limits.clear()


def _build(world: World) -> Matrix:
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
    from tests.probe_world import _before_the_one_licence_rule, _upload_all  # as for the demo applicant

    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
    demo_users = {u.username: u for u in User.objects.filter(is_demo=True)}
    with _before_the_one_licence_rule():  # his second 律师执业许可, filed as before 律师法 §10's refusal
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
    # B's consents: the §29 separate consent to his ID number, named for the probe.
    accounts.give_consent(
        b,
        consents.REGISTER_ID_NUMBER,
        version=consents.current(consents.REGISTER_ID_NUMBER).version,
        object_ref="赵金诚身份号码同意（探针）",
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
    b_case = Application.objects.filter(applicant=b).exclude(number=None).order_by("pk")
    _exchange_canary(orgs["hz"], b_case.first().number)
    _mediation_canary(orgs, b, form)
    # B's named complaint about the 上城区 window (投诉举报), and his 差评 of his delivered case, which
    # opens a rectification (整改) at 杭州市司法局 (好差评).
    complaints.submit(
        b,
        kind="complaint",
        subject_kind="service",
        organisation=orgs["sc"].pk,
        text="（探针）赵金诚投诉窗口要求重复提交材料。",
    )
    delivered_b = next(a for a in b_case if a.status == "delivered")
    evaluation.rate(
        b,
        subject="application",
        number=delivered_b.number,
        level="very_dissatisfied",
        comment="（探针）赵金诚差评",
    )
    # Citizen C, 孙金窗 of 上城区, walks in at the 上城区 window, which files his application for
    # 杭州市 (一窗受理): that window sees it; the 西湖区 window and the 司法所 below it do not.
    c_id = factories.id_number("330102")
    walker = factories.person(region_code="330102", name="孙金窗", id_number=c_id, phone="13912340004").user
    walk_in = applications.start_draft(
        entry,
        actor=demo_users["demo-county2"],
        walk_in={
            "kind": "person",
            "name": "孙金窗",
            "id_number": c_id,
            "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER).version,
        },
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
        "staff-ministry": demo["demo-ministry"],
    }
    world.login |= {
        "staff-ministry": "demo-ministry",
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
        "staff-ministry": world.passwords["citizen"],
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
        "complaints": "b",
        "ratings": "b",
        "consents": "b",
        "mediation": "b",
    }
    built = Matrix(world, owners, forbidden, viewers)
    # Log everyone in now, in the module's transaction: a login inside a test rolls back with it.
    for name in {*forbidden, *viewers.values(), *SWEEP_IDENTITIES}:
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


def matrix(
    m: Matrix, families: tuple[str, ...] = FAMILIES, *, stop_at_first_leak: bool = False
) -> list[tuple[str, str, str, str]]:
    """(identity, address, family, what leaked) for every leak found (or the first)."""
    leaks: list[tuple[str, str, str, str]] = []
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
            if leaks and stop_at_first_leak:
                return leaks
        for owner, owner_families in banned.items():
            for family in set(families) & set(owner_families):
                for url in m.owners[owner].details[family]:
                    status, _body = _text(pages, api, url)
                    if 200 <= status < 300:
                        leaks.append((name, url, family, f"HTTP {status}"))
    return leaks


@smoke
def test_no_identity_sees_a_canary_of_another_citizen_or_jurisdiction(matrix_world):
    leaks = matrix(matrix_world)
    assert not leaks, "\n".join(map(str, leaks))


@smoke
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


@smoke
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


@smoke
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
    "complaints": (Complaint,),
    "ratings": (Rating, Rectification),
    "consents": (ConsentRecord,),
    "mediation": (MediationCase, MediationSession),
}


INSIDE = "shown only inside its parent's pages and answers, which the matrix covers"
NOT_A_FAMILY: dict[str, str] = {
    "accounts.User": "the login account: its person or company row is the family (persons, companies)",
    "accounts.SmsMessage": "the SMS log: no route shows it outside the admin site (S2)",
    "audit.AuditEvent": "the audit trail: the audit administrator's only (S2 role matrix, S5)",
    "deadlines.ClockState": f"a case's statutory clock: {INSIDE} (applications)",
    "applications.CorrectionNotice": f"{INSIDE} (applications)",
    "applications.PreReviewFinding": f"{INSIDE} (applications)",
    "applications.TimelineEntry": f"{INSIDE} (applications)",
    "workflow.ProcessInstance": f"{INSIDE} (applications)",
    "workflow.CaseDocument": f"{INSIDE} (applications, documents)",
    "workflow.StartAlert": "a monitor's alert that a case did not start: no route names one",
    "licences.LicenceUse": f"{INSIDE} (authorisations: the uses list)",
    "consultation.Citation": f"{INSIDE} (consultations)",
    "consultation.TicketEvent": f"{INSIDE} (consultations)",
    "complaints.Supervision": f"{INSIDE} (complaints)",
    "complaints.ComplaintEvent": f"{INSIDE} (complaints)",
    "evaluation.RatingLink": "a window's single-use 评价器 link: no personal data, the token is the key",
    "exchange.OutboxItem": f"{INSIDE} (exchange)",
    "disclosure.Notice": "政务公开: published notices and their drafts, no personal data",
    "disclosure.NoticeReview": "政务公开: 保密审查 of a notice, no personal data",
    "inspections.TestApplicant": "督查: fictitious test applicants, role-gated (S2)",
    "inspections.MockApplication": "督查: role-gated to inspectors (S2)",
    "inspections.RandomCheck": "督查: role-gated to inspectors (S2)",
    "inspections.SampledCase": "督查: role-gated to inspectors (S2)",
}
"""Models with a scope rule that are not a family of the matrix, each with the reason."""


@smoke
def test_every_model_with_a_scope_rule_is_a_family_or_says_why():
    """A new scoped model joins the matrix (FAMILY_MODELS, its canaries, SWEEP) or states why not."""
    ruled = {model._meta.label for model in scope._RULES}
    families = {model._meta.label for models in FAMILY_MODELS.values() for model in models}
    assert sorted(ruled - families - set(NOT_A_FAMILY)) == []
    assert sorted(set(NOT_A_FAMILY) - ruled) == [], "no longer scoped"
    assert families <= ruled


def _found(rows: QuerySet) -> Any:
    """The first row, or the product's own 404 (a stand-in fails as the selector it replaces)."""
    from sifa.core.errors import NotFound

    row = rows.first()
    if row is None:
        raise NotFound()
    return row


def _own_rows_selectors() -> dict[str, list[tuple[Callable[..., Any], Callable[..., Any]]]]:
    """The selectors that guard a family's rows by owner or grant rather than through ``scoped``,
    each with its unguarded stand-in."""
    from sifa.accounts import selectors as account_selectors
    from sifa.applications import selectors as applications
    from sifa.audit import selectors as audit
    from sifa.complaints import selectors as complaint_reads
    from sifa.consultation.selectors import tickets
    from sifa.licences import selectors as wallet
    from sifa.notifications import selectors as inbox

    return {
        "materials": [
            (
                applications.material,
                lambda actor, ref, material_id: _found(ApplicationMaterial.objects.filter(pk=material_id)),
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
        "complaints": [
            (complaint_reads.mine, lambda user: Complaint.objects.order_by("-id")),
            (
                complaint_reads.for_complainant,
                lambda user, number: _found(Complaint.objects.filter(number=str(number).upper())),
            ),
        ],
        "consents": [(account_selectors.my_consents, lambda user: ConsentRecord.objects.order_by("-id"))],
        "consultations": [
            (tickets.mine, lambda user: Ticket.objects.select_related("organisation").order_by("-id")),
            (tickets.for_asker, lambda user, number: _found(Ticket.objects.filter(number=number))),
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


REACHED_THROUGH: dict[str, tuple[type, dict[str, Any]]] = {
    "mediation": (Application, {"mediation__isnull": False}),
}
"""Families read only through a parent row the view has already scoped (a 人民调解 case and its
sessions are shown only with their application: ``case_of`` and ``case_summary`` take the case
the view loaded, never a list of mediations), so their scope is that parent's: the mutant also
unscopes the parent rows that carry the family (the cases that have a mediation)."""


def remove_scope(monkeypatch: pytest.MonkeyPatch, family: str) -> None:
    models = FAMILY_MODELS[family]
    original = scope.scoped
    parent, carries = REACHED_THROUGH.get(family, (None, {}))

    def unscoped(queryset: QuerySet, actor: Any, **kwargs: Any) -> QuerySet:
        if queryset.model in models:
            return queryset
        if queryset.model is parent:
            allowed = original(queryset.model.objects.all(), actor, **kwargs).values("pk")
            return queryset.filter(Q(pk__in=allowed) | Q(**carries))
        return original(queryset, actor, **kwargs)

    _patch_everywhere(monkeypatch, original, unscoped)
    for selector, stand_in in _own_rows_selectors().get(family, []):
        _patch_everywhere(monkeypatch, selector, stand_in)


def figures(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """One line of figures, printed with the run's summary by the root ``conftest.py``."""
    print(line)


def _mutant(m: Matrix, family: str | None) -> tuple[int, list[Any]]:
    """Run the sweep's hidden requests (of ``family``, or all) until the first leak, then — if the
    family shows only in lists — the list matrix until its first leak: (requests sent, leaks)."""
    hidden = [r for r in _sweep(m) if r.expect == "hidden" and family in (None, r.family)]
    result = run_sweep(m, hidden, stop_at_first_leak=True)
    if result.leaks:
        return result.requests, result.leaks
    return result.requests, matrix(m, FAMILIES if family is None else (family,), stop_at_first_leak=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_matrix_catches_a_family_whose_scope_is_removed(matrix_world, monkeypatch, capsys, family):
    remove_scope(monkeypatch, family)
    sent, leaks = _mutant(matrix_world, family)
    figures(
        capsys,
        f"S1 mutant, {family} unscoped: first leak after {sent} sweep requests: {str(leaks[0])[:160] if leaks else 'none'}",
    )
    assert leaks, f"{family}: the matrix found no leak with its scope removed: it has no teeth there"


def test_the_sweep_catches_the_whole_scope_switched_off(matrix_world, monkeypatch, capsys):
    """The "whole scope off" mutant: ``scoped`` returns every row, and every own-rows selector too."""
    _patch_everywhere(monkeypatch, scope.scoped, lambda queryset, actor, **kwargs: queryset)
    for pairs in _own_rows_selectors().values():
        for selector, stand_in in pairs:
            _patch_everywhere(monkeypatch, selector, stand_in)
    sent, leaks = _mutant(matrix_world, None)
    figures(
        capsys,
        f"S1 mutant, whole scope off: first leak after {sent} requests: {str(leaks[0])[:160] if leaks else 'none'}",
    )
    assert leaks


# --- S1: the route sweep — every identity × every family × every route and verb -----------------
#
# Every route of the URL resolver that takes a parameter is in SWEEP: either a :class:`Route` (the
# family whose canaries fill its parameters, and who reads it) or the reason it names no personal
# or case row. A route in neither fails `test_every_route_with_a_parameter_is_classified` with its
# name, so a new route joins the sweep (or states why not) as soon as it exists.


@dataclass(frozen=True)
class Route:
    family: str
    fill: Callable[[Owner], list[dict[str, str]]]
    """The parameter values that name the owner's canary rows at this route."""
    side: str = "both"
    """Who reads the row here: ``owner`` (the citizen's own space), ``staff`` or ``both``."""
    reads: bool = True
    """GET shows the row (the over-restriction check asks every expected viewer for it)."""


def _rows(family: str, **params: Callable[[Any], Any]) -> Callable[[Owner], list[dict[str, str]]]:
    return lambda owner: [{k: str(f(row)) for k, f in params.items()} for row in owner.rows[family]]


def _cases(**extra: str) -> Callable[[Owner], list[dict[str, str]]]:
    return lambda owner: [{"number": a.number, **extra} for a in owner.rows["applications"]]


def _refs(owner: Owner) -> list[dict[str, str]]:
    return [{"ref": ref} for a in owner.rows["applications"] for ref in (a.number, str(a.pk))]


def _numbers(owner: Owner) -> list[dict[str, str]]:
    return [{"ref": a.number} for a in owner.rows["applications"]]


def _drafts(owner: Owner) -> list[dict[str, str]]:
    return [{"app_id": str(a.pk), "step": "1"} for a in owner.rows["applications"] + owner.rows["drafts"]]


def _material_of(key: str) -> Callable[[Owner], list[dict[str, str]]]:
    return lambda owner: [
        {key: x.application.number, "material_id": str(x.pk)} for x in owner.rows["materials"]
    ]


def _window_material(owner: Owner) -> list[dict[str, str]]:
    return [{"app_id": str(x.application_id), "material_id": str(x.pk)} for x in owner.rows["materials"]]


def _grants(owner: Owner) -> list[dict[str, str]]:
    return [
        {"identifier": g.licence.identifier, "authorisation_id": str(g.id)}
        for g in owner.rows["authorisations"]
    ]


def _mediations(param: str, **extra: str) -> Callable[[Owner], list[dict[str, str]]]:
    """The owner's 人民调解 cases by number at a case route (their other case families are the
    application's, swept under ``applications``)."""
    return lambda owner: [{param: a.number, **extra} for a in owner.rows["mediation"]]


_licence = _rows("licences", identifier=lambda x: x.identifier)
_ticket = _rows("consultations", number=lambda x: x.number)
_complaint = _rows("complaints", number=lambda x: x.number)

NOT_PERSONAL = "names no personal or case row"
SWEEP: dict[str, Route | tuple[Route, ...] | str] = {
    # applications, drafts, cases
    "/api/v1/applications/<str:ref>/": (
        Route("applications", _refs, "owner"),
        Route("mediation", _mediations("ref"), "owner"),
    ),
    "/api/v1/applications/<str:ref>/correction-notice/": Route(
        "applications", _numbers, "owner", reads=False
    ),
    "/api/v1/applications/<str:ref>/correction/": Route("applications", _numbers, "owner", reads=False),
    # 预审意见: the window's tool while a case is in pre-review (404 at any other step).
    "/api/v1/applications/<str:ref>/findings/": Route("applications", _numbers, "staff", reads=False),
    "/api/v1/applications/<str:ref>/materials/": Route("materials", _numbers, "owner", reads=False),
    "/api/v1/applications/<str:ref>/materials/<str:material_id>/file/": Route(
        "materials", _material_of("ref"), "owner"
    ),
    "/api/v1/applications/<str:ref>/submit/": Route("applications", _numbers, "owner", reads=False),
    "/api/v1/applications/<str:ref>/withdraw/": Route("applications", _numbers, "owner", reads=False),
    "/api/v1/applications/drafts/<str:ref>/": Route(
        "applications", lambda o: [{"ref": str(a.pk)} for a in o.rows["drafts"]], "owner", reads=False
    ),
    "/api/v1/cases/<str:number>/": (
        Route("applications", _cases(), "staff"),
        Route("mediation", _mediations("number"), "staff"),
    ),
    "/api/v1/cases/<str:number>/commands/<str:command>/": (
        Route("work_items", _cases(command="accept"), "staff", reads=False),
        Route("mediation", _mediations("number", command="record_session"), "staff", reads=False),
    ),
    # The licence a case issued, at its delivery step only (the canaries are not there: 404 alike).
    "/api/v1/cases/<str:number>/licence/pdf/": Route("applications", _cases(), "staff", reads=False),
    "/api/v1/track/<str:number>/": Route("applications", _cases(), reads=False),
    "/applications/<str:ref>/": Route("applications", _numbers, reads=False),
    "/apply/drafts/<uuid:app_id>/check/": Route("applications", _drafts, "owner", reads=False),
    "/apply/drafts/<uuid:app_id>/done/": Route("applications", _drafts, "owner", reads=False),
    "/apply/drafts/<uuid:app_id>/form/<int:step>/": Route("applications", _drafts, "owner", reads=False),
    "/apply/drafts/<uuid:app_id>/materials/": Route("applications", _drafts, "owner", reads=False),
    "/apply/drafts/<uuid:app_id>/pickup/": Route("applications", _drafts, "owner", reads=False),
    "/apply/drafts/<uuid:app_id>/situations/": Route("applications", _drafts, "owner", reads=False),
    "/me/applications/<str:ref>/": (
        Route("applications", _refs, "owner"),
        Route("mediation", _mediations("ref"), "owner"),
    ),
    "/me/applications/<str:ref>/correction/": Route("applications", _numbers, "owner", reads=False),
    "/me/applications/<str:ref>/materials/<str:material_id>/file/": Route(
        "materials", _material_of("ref"), "owner"
    ),
    "/me/applications/<str:ref>/rating/": Route("ratings", _numbers, "owner", reads=False),
    "/me/applications/<str:ref>/withdraw/": Route("applications", _numbers, "owner", reads=False),
    "/workbench/cases/<str:number>/": (
        Route("applications", _cases(), "staff"),
        Route("mediation", _mediations("number"), "staff"),
    ),
    "/workbench/cases/<str:number>/actions/<str:key>/": (
        Route("work_items", _cases(key="accept"), "staff", reads=False),
        Route("mediation", _mediations("number", key="record_session"), "staff", reads=False),
    ),
    "/workbench/cases/<str:number>/materials/<str:material_id>/": Route(
        "materials", _material_of("number"), "staff"
    ),
    "/workbench/cases/<str:number>/licence.pdf": Route("applications", _cases(), "staff", reads=False),
    "/workbench/window/<uuid:app_id>/check/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/form/<int:step>/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/materials/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/materials/<str:material_id>/": Route(
        "materials", _window_material, "staff", reads=False
    ),
    "/workbench/window/<uuid:app_id>/pickup/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/receipt/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/correction/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/withdraw/": Route("applications", _drafts, "staff", reads=False),
    "/workbench/window/<uuid:app_id>/situations/": Route("applications", _drafts, "staff", reads=False),
    # people, companies, mandates
    "/api/v1/persons/<str:pk>/": Route("persons", _rows("persons", pk=lambda x: x.pk), "staff"),
    "/api/v1/companies/<str:pk>/": Route("companies", _rows("companies", pk=lambda x: x.pk), "staff"),
    "/api/v1/mandates/<str:pk>/": Route("mandates", _rows("mandates", pk=lambda x: x.pk), "owner"),
    "/api/v1/mandates/<str:pk>/revoke/": Route(
        "mandates", _rows("mandates", pk=lambda x: x.pk), "owner", reads=False
    ),
    "/me/mandates/<str:mandate_id>/revoke/": Route(
        "mandates", _rows("mandates", mandate_id=lambda x: x.pk), "owner", reads=False
    ),
    # documents, licences, authorisations
    "/api/v1/documents/<str:public_id>/": Route(
        "documents", _rows("documents", public_id=lambda x: x.public_id), "owner"
    ),
    "/api/v1/documents/<str:public_id>/pdf/": Route(
        "documents", _rows("documents", public_id=lambda x: x.public_id), "owner"
    ),
    "/me/documents/<str:public_id>/pdf/": Route(
        "documents", _rows("documents", public_id=lambda x: x.public_id), "owner"
    ),
    "/api/v1/licences/<str:identifier>/pdf/": Route("licences", _licence, "owner"),
    "/api/v1/staff/licences/<str:identifier>/": Route("licences", _licence, "staff"),
    "/api/v1/staff/licences/<str:identifier>/<str:action>/": Route(
        "licences",
        _rows("licences", identifier=lambda x: x.identifier, action=lambda x: "suspend"),
        "staff",
        False,
    ),
    "/me/licences/<str:identifier>/": Route("licences", _licence, "owner"),
    "/me/licences/<str:identifier>/pdf/": Route("licences", _licence, "owner"),
    "/me/licences/<str:identifier>/authorise/": Route("authorisations", _licence, "owner", reads=False),
    "/workbench/licences/<str:identifier>/": Route("licences", _licence, "staff"),
    "/workbench/licences/<str:identifier>/actions/<str:action>/": Route(
        "licences",
        _rows("licences", identifier=lambda x: x.identifier, action=lambda x: "suspend"),
        "staff",
        False,
    ),
    "/api/v1/me/licences/<str:identifier>/authorisations/": Route("authorisations", _licence, "owner"),
    "/api/v1/me/licences/<str:identifier>/uses/": Route("authorisations", _licence, "owner"),
    "/api/v1/me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/": Route(
        "authorisations", _grants, "owner", reads=False
    ),
    "/me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/": Route(
        "authorisations", _grants, "owner", reads=False
    ),
    # messages, deliveries, exchange
    "/api/v1/me/messages/<str:public_id>/read/": Route(
        "messages", _rows("messages", public_id=lambda x: x.public_id), "owner", reads=False
    ),
    "/me/messages/<str:public_id>/read/": Route(
        "messages", _rows("messages", public_id=lambda x: x.public_id), "owner", reads=False
    ),
    "/api/v1/notifications/deliveries/<str:public_id>/resend/": Route(
        "notifications", _rows("notifications", public_id=lambda x: x.public_id), "staff", reads=False
    ),
    "/workbench/deliveries/<str:public_id>/resend/": Route(
        "notifications", _rows("notifications", public_id=lambda x: x.public_id), "staff", reads=False
    ),
    "/api/v1/exchange/messages/<str:message_id>/resend/": Route(
        "exchange", _rows("exchange", message_id=lambda x: x.message_id), "staff", reads=False
    ),
    "/workbench/exchange/<str:message_id>/resend/": Route(
        "exchange", _rows("exchange", message_id=lambda x: x.message_id), "staff", reads=False
    ),
    # consultations (12348), complaints, ratings
    "/api/v1/consultations/<str:number>/": Route("consultations", _ticket),
    "/api/v1/consultations/<str:number>/answer/": Route("consultations", _ticket, "staff", reads=False),
    "/api/v1/consultations/<str:number>/convert/": Route("consultations", _ticket, "staff", reads=False),
    "/api/v1/consultations/<str:number>/rating/": Route("consultations", _ticket, "owner", reads=False),
    "/api/v1/consultations/<str:number>/transfer/": Route("consultations", _ticket, "staff", reads=False),
    "/consultations/<str:number>/": Route("consultations", _ticket, "owner"),
    "/consultations/<str:number>/convert/": Route("consultations", _ticket, "owner", reads=False),
    "/consultations/<str:number>/rating/": Route("consultations", _ticket, "owner", reads=False),
    "/workbench/consultations/<str:number>/": Route("consultations", _ticket, "staff"),
    "/api/v1/complaints/<str:number>/": Route("complaints", _complaint),
    "/api/v1/complaints/<str:number>/commands/<str:command>/": Route(
        "complaints",
        _rows("complaints", number=lambda x: x.number, command=lambda x: "accept"),
        "staff",
        False,
    ),
    "/api/v1/complaints/track/<str:number>/": Route("complaints", _complaint, reads=False),
    "/me/complaints/<str:number>/": Route("complaints", _complaint, "owner"),
    "/workbench/complaints/<str:number>/": Route("complaints", _complaint, "staff"),
    "/api/v1/rectifications/<str:id>/commands/<str:command>/": Route(
        "ratings", _rows("ratings", id=lambda x: x.pk, command=lambda x: "callback"), "staff", reads=False
    ),
    "/workbench/rectifications/<int:rectification_id>/": Route(
        "ratings", _rows("ratings", rectification_id=lambda x: x.pk), "staff"
    ),
    # public registers and reference data: nothing personal behind the parameter
    "/api/v1/^organisations/(?P<pk>[^/]+)/$": NOT_PERSONAL,
    "/api/v1/^regions/(?P<code>[^/]+)/$": NOT_PERSONAL,
    "/api/v1/organisations/<str:pk>/document-code/": NOT_PERSONAL,
    "/api/v1/calendar/<str:year>/": NOT_PERSONAL,
    "/api/v1/catalogue/implementations/<str:implementation_code>/": NOT_PERSONAL,
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide.pdf": NOT_PERSONAL,
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide/": NOT_PERSONAL,
    "/api/v1/catalogue/items/<str:basic_code>/": NOT_PERSONAL,
    "/api/v1/catalogue/items/<str:basic_code>/drafts/": NOT_PERSONAL,
    "/api/v1/catalogue/items/<str:basic_code>/drafts/<str:number>/": NOT_PERSONAL,
    "/api/v1/catalogue/items/<str:basic_code>/drafts/<str:number>/publish/": NOT_PERSONAL,
    "/api/v1/catalogue/items/<str:basic_code>/versions/<str:number>/withdraw/": NOT_PERSONAL,
    "/api/v1/faq/<str:faq_id>/": NOT_PERSONAL,
    "/api/v1/laws/<str:statute_id>/": NOT_PERSONAL,
    "/api/v1/indicators/report/<str:organisation>/<str:period>.pdf": "an organisation's aggregate figures",
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/issue/": "an organisation's figures",
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/withdraw/": "an organisation's figures",
    "/api/v1/directory/<str:kind>/<str:entry_id>/": "机构人员查询: a public register (行政许可法 §40)",
    "/directory/<str:kind>/<str:entry_id>/": "机构人员查询: a public register (行政许可法 §40)",
    "/api/v1/licences/verify/<str:identifier>/": "亮证核验: public by design, shows what the licence face shows",
    "/verify/<str:identifier>": "亮证核验: public by design, shows what the licence face shows",
    "/api/v1/mediation/committees/<str:committee_id>/mediators/": "the published mediator roster",
    "/api/v1/mediation/mediators/<str:mediator_id>/active/": "the mediator roster (staff, not a case)",
    "/api/v1/mediation/offices/<str:org_id>/committees/": "the published committee list",
    "/workbench/mediation/<int:office_id>/": "an office's roster page",
    "/api/v1/inspections/mock-applications/<str:id>/": "督查: the inspector's test applications (no citizen)",
    "/api/v1/inspections/mock-applications/<str:id>/score/": "督查: the inspector's test applications",
    "/workbench/inspections/mocks/<str:mock_id>/": "督查: the inspector's test applications",
    "/api/v1/inspections/random-checks/<str:id>/": "督查: role-gated (S2); a check's cases are not owned",
    "/api/v1/inspections/random-checks/<str:id>/cases/<str:number>/finding/": "督查: role-gated (S2)",
    "/workbench/inspections/checks/<str:check_id>/": "督查: role-gated (S2)",
    "/workbench/inspections/checks/<str:check_id>/cases/<str:number>/": "督查: role-gated (S2)",
    "/apply/<str:implementation_code>/": NOT_PERSONAL,
    "/catalogue/<str:basic_code>/": NOT_PERSONAL,
    "/disclosure/<int:org_id>/": "政务公开: published notices",
    "/disclosure/<int:org_id>/feed.atom": "政务公开: published notices",
    "/disclosure/notices/<str:public_id>/": "政务公开: published notices",
    "/disclosure/opendata/<str:dataset>.<str:fmt>": "政务公开: open data",
    "/workbench/disclosure/<str:public_id>/": "政务公开: an organisation's draft notice, no personal data",
    "/workbench/disclosure/<str:public_id>/edit/": "政务公开: an organisation's draft notice",
    "/faq/<str:faq_id>/": NOT_PERSONAL,
    "/workbench/faq/<str:faq_id>/": NOT_PERSONAL,
    "/guides/<str:implementation_code>.json": NOT_PERSONAL,
    "/guides/<str:implementation_code>/": NOT_PERSONAL,
    "/guides/<str:implementation_code>/guide.pdf": NOT_PERSONAL,
    "/open-data/implementations/<str:province>.json": NOT_PERSONAL,
    "/guides/preview/<str:basic_code>/<str:number>/": NOT_PERSONAL,
    "/laws/<str:slug>/": NOT_PERSONAL,
    "/laws/<str:slug>/<str:key>/": NOT_PERSONAL,
    "/rate/<str:token>/": "a single-use 评价器 link: the token is the credential",
    "/workbench/calendar/notices/<str:notice_id>/": "the national working-day calendar",
    "/workbench/calendar/notices/<str:notice_id>/edit/": "the national working-day calendar",
    "/workbench/calendar/notices/<str:notice_id>/publish/": "the national working-day calendar",
    "/workbench/security/<uuid:public_id>/": "安全事件: platform-wide, role-gated to the security admin (S2)",
    "/workbench/security/<uuid:public_id>/actions/<str:key>/": "安全事件: role-gated to the security admin",
    "/workbench/security/reports/<uuid:public_id>/": "安全周报: role-gated to the security admin (S2)",
    # 授权与个人数据: a consent is withdrawn only by the person who gave it.
    "/api/v1/me/consents/<str:pk>/withdraw/": Route(
        "consents", _rows("consents", pk=lambda x: x.pk), "owner", reads=False
    ),
    "/me/privacy/consents/<str:consent_id>/withdraw/": Route(
        "consents", _rows("consents", consent_id=lambda x: x.pk), "owner", reads=False
    ),
}
"""Every route with a parameter outside the admin site (``/admin/`` is superuser-only and S2's). A
route that shows rows of more than one family (a case page shows its 人民调解) has one Route each."""

SWEEP_IDENTITIES = (
    "anonymous",
    "citizen",
    "b",
    "company",
    "staff-township",
    "staff-county",
    "staff-county2",
    "staff-city",
    "staff-province",
    "staff-ministry",
    "staff-supervisor-xh",
    "staff-dongcheng",
)
"""Two citizens, a law firm, a 司法所, two counties (西湖区, 上城区), the city, the province, the
ministry, a 西湖区 supervisor, another city's staff. The exchange partners have no API identity:
the inbox authenticates a signed envelope, never a reader (docs/exchange.md), so there is none to
sweep with."""
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
CASE_FAMILIES = ("applications", "materials", "work_items", "exchange")
"""A 杭州市 case's families: its staff are the city's and those above it."""
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "citizen": {"a": FAMILIES},
    "b": {"b": FAMILIES},
    # Lawyers' licences are issued, and held in scope, by 浙江省司法厅: the city does not manage them.
    "staff-city": {"a": CASE_FAMILIES, "b": (*CASE_FAMILIES, "ratings", "mediation"), "c": CASE_FAMILIES},
    # B's 人民调解 is handled at 清波街道司法所, below 上城区: its county and everyone above see it.
    "staff-county2": {
        "c": ("applications", "materials"),
        "b": ("persons", "mediation"),
        "b-company": ("companies",),
    },
    "staff-county": {"a": ("persons",)},
    "staff-province": {x: (*CASE_FAMILIES, "licences", *(("mediation",) if x == "b" else ())) for x in "abc"},
    "staff-ministry": {x: (*CASE_FAMILIES, "licences", *(("mediation",) if x == "b" else ())) for x in "abc"},
}
"""identity → owner → the families whose every routed read of the owner's rows it must get (2xx)."""


def _route_verbs(route: str, url: str) -> tuple[str, ...]:
    """The write verbs the view behind ``url`` answers (a function view: POST)."""
    from django.urls import resolve

    func = resolve(url.split("?")[0]).func
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    if view is None:
        return ("POST",)
    actions = getattr(func, "actions", None)
    if actions:
        return tuple(v.upper() for v in actions if v.upper() in WRITE_VERBS)
    return tuple(v for v in WRITE_VERBS if hasattr(view, v.lower()))


def _address(route: str, values: dict[str, str]) -> str:
    import re

    def value(match: re.Match[str]) -> str:
        return values[match.group("name")]

    url = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, route)
    url = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, url)
    return url.replace("^", "").replace("$", "")


VERBS_IN_PATH = {"command", "action", "key", "step"}
"""Parameters that name what to do, not which row: kept as they are in ghosts and forgeries."""


def _forge(name: str, value: str) -> str:
    """The id upper-cased (a forged spelling of the same row)."""
    return value if name in VERBS_IN_PATH else value.upper()


def _ghost(value: str) -> str:
    """A value of the same shape that names nothing."""
    import re
    import uuid

    try:
        uuid.UUID(value)
        return str(uuid.UUID(int=uuid.UUID(value).int ^ 0xFFFF_FFFF))
    except ValueError:
        pass
    if value.isdigit():
        return str(int(value) + 900_000_000)
    if value.startswith(LICENCE_ID_ROOT + "."):  # another serial, with its own valid check character
        type_code, issuer, serial, version, _check = value[len(LICENCE_ID_ROOT) + 1 :].split(".")
        serial = serial[:-4] + f"{(int(serial[-4:]) + 7_777) % 10_000:04d}"
        check = iso7064_mod37_36(f"{type_code}{issuer}{serial}{version}")
        return ".".join((LICENCE_ID_ROOT, type_code, issuer, serial, version, check))
    # The last run of digits changed, the shape kept (a case number, a licence identifier).
    runs = list(re.finditer(r"\d+", value))
    if not runs:
        return value + "X"
    last = runs[-1]
    digits = last.group()
    changed = f"{(int(digits) + 7_777) % 10 ** len(digits):0{len(digits)}d}"
    return value[: last.start()] + changed + value[last.end() :]


@dataclass
class Request:
    identity: str
    method: str
    url: str
    route: str
    family: str
    owner: str
    expect: str
    """``hidden`` (a leak if it answers other than a missing row) or ``visible``."""
    ghost: str = ""
    """The same route with values that name nothing: what a hidden row must look like."""
    values: tuple[tuple[str, str], ...] = ()
    """(value in ``url``, its stand-in in ``ghost``): an answer may echo the address it was asked."""


def sweep_requests(m: Matrix) -> list[Request]:
    requests: list[Request] = []
    for route, specs in SWEEP.items():
        for spec in (specs,) if isinstance(specs, Route) else specs if isinstance(specs, tuple) else ():
            requests += _route_requests(m, route, spec)
    return requests


def _route_requests(m: Matrix, route: str, spec: Route) -> list[Request]:
    requests: list[Request] = []
    for owner_key, owner in m.owners.items():
        for values in spec.fill(owner):
            url = _address(route, values)
            ghosts = {k: v if k in VERBS_IN_PATH else _ghost(v) for k, v in values.items()}
            plain = (url, _address(route, ghosts), tuple((v, ghosts[k]) for k, v in values.items()))
            forged = (
                _address(route, {k: _forge(k, v) for k, v in values.items()}),
                _address(route, {k: _forge(k, v) for k, v in ghosts.items()}),
                tuple((_forge(k, v), _forge(k, ghosts[k])) for k, v in values.items()),
            )
            variants = [plain] if forged[0] == url else [plain, forged]
            verbs = _route_verbs(route, url)
            for identity in SWEEP_IDENTITIES:
                banned = spec.family in m.forbidden.get(identity, {}).get(owner_key, ())
                visible = spec.family in EXPECTED.get(identity, {}).get(owner_key, ())
                if banned:
                    requests += [
                        Request(
                            identity,
                            method,
                            address,
                            route,
                            spec.family,
                            owner_key,
                            "hidden",
                            ghost,
                            pairs,
                        )
                        for method in ("GET", *verbs)
                        for address, ghost, pairs in variants
                    ]
                elif visible and spec.reads and spec.side in ("both", _side_of(identity)):
                    requests.append(Request(identity, "GET", url, route, spec.family, owner_key, "visible"))
    return requests


def _side_of(identity: str) -> str:
    return "staff" if identity.startswith("staff-") else "owner"


def _send(client: Client, method: str, url: str) -> tuple[int, str, str]:
    response = getattr(client, method.lower())(url)
    assert response.status_code < 500, (method, url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.get("Location", ""), body.decode(errors="replace")


def _path(location: str) -> str:
    return location.split("?")[0]


def _login_page(location: str) -> bool:
    return _path(location).startswith(("/accounts/login", "/login"))


@dataclass
class SweepResult:
    requests: int = 0
    leaks: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    """(identity, method, url, family, what leaked)"""
    over: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(identity, url, family, what it got)"""
    seconds: float = 0.0


def banned_markers(m: Matrix, identity: str, families: tuple[str, ...] = FAMILIES) -> list[tuple[str, str]]:
    return [
        (family, marker)
        for owner, owner_families in m.forbidden.get(identity, {}).items()
        for family in set(owner_families) & set(families)
        for marker in m.owners[owner].markers[family]
    ]


def run_sweep(m: Matrix, requests: list[Request], *, stop_at_first_leak: bool = False) -> SweepResult:
    """Send every request as its identity; a hidden row must answer exactly as a missing one does
    (never 2xx, never 403 where a missing row is 404), with no banned marker in the body; a
    visible row must answer 2xx (or a redirect that is not to the login)."""
    import time

    result, ghosts = SweepResult(), {}
    markers = {name: banned_markers(m, name) for name in SWEEP_IDENTITIES}
    started = time.perf_counter()
    for request in requests:
        pages, api = _clients(m, request.identity)
        client = api if request.url.startswith("/api/") else pages
        if result.requests % 20 == 0:
            limits.clear()
        status, location, body = _send(client, request.method, request.url)
        result.requests += 1
        if request.expect == "visible":
            if not (200 <= status < 300 or (300 <= status < 400 and not _login_page(location))):
                result.over.append(
                    (request.identity, request.url, request.family, f"HTTP {status} {location}")
                )
            continue
        key = (request.identity, request.method, request.ghost)
        if key not in ghosts:
            ghost_status, ghost_location, _ = _send(client, request.method, request.ghost)
            result.requests += 1
            ghosts[key] = (ghost_status, _path(ghost_location))
        asked = request.url.lower()
        found = [
            f"marker {marker} ({family})"
            for family, marker in markers[request.identity]
            if marker in body and marker.lower() not in asked
        ]
        for value, stand_in in request.values:
            location = location.replace(value, stand_in)
        if 200 <= status < 300:
            found.append(f"HTTP {status}")
        elif (status, _path(location)) != ghosts[key]:
            found.append(f"HTTP {status} {location} where a missing row answers {ghosts[key]}")
        result.leaks += [(request.identity, request.method, request.url, request.family, x) for x in found]
        if found and stop_at_first_leak:
            break
    result.seconds = time.perf_counter() - started
    return result


@smoke
def test_every_route_with_a_parameter_is_classified():
    """A new route joins the sweep: give it a :class:`Route` in SWEEP, or the reason it names no
    personal or case row."""
    unclassified = [
        r for r in routes() if ("<" in r or "(?P" in r) and not r.startswith("/admin/") and r not in SWEEP
    ]
    stale = [r for r in SWEEP if r not in routes()]
    assert unclassified == [] and stale == [], {"unclassified": unclassified, "no longer routed": stale}


def _sweep(m: Matrix) -> list[Request]:
    if not m.requests:
        m.requests = sweep_requests(m)
    return m.requests


@smoke
def test_s1_sweep_no_leak_and_no_over_restriction(matrix_world, capsys):
    m = matrix_world
    requests = _sweep(m)
    result = run_sweep(m, requests)
    routed = {r.route for r in requests}
    figures(
        capsys,
        f"S1 scope sweep: {result.requests} requests, {len({r.identity for r in requests})} identities, "
        f"{len({r.family for r in requests})} families, {len(routed)} routes, {len(result.leaks)} leaks, "
        f"{len(result.over)} over-restrictions, {result.seconds:.0f} s",
    )
    assert result.requests >= 10_000
    assert result.leaks == [], "\n".join(map(str, result.leaks[:60]))
    assert result.over == [], "\n".join(map(str, result.over[:60]))
