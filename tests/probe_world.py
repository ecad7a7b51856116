"""The demo-like world the two probes walk (no tests here): ``tests/test_no_server_errors.py`` and
``tests/security/test_s1_scope_matrix.py``.

It is built through the real services, as ``sifa run`` and the demo loaders build it: the
organisation tree, the catalogue with its entries, the licence types, the working-day calendar,
``sifa load-demo`` (accounts with their published password and fixed TOTP secrets),
``load_cases`` (陈明's and the law firm's delivered licensing cases, with their documents and
licences), the demo mandates and mediation roster; then one of each object a page can name and the
demo lacks — a draft with a material, a case waiting for acceptance, a clerk's walk-in draft, a
wallet authorisation, a catalogue draft, a calendar notice draft, a superuser (the admin) with a
TOTP device.

People log in for real: :func:`session_login` posts the login form (password, and the current
TOTP code for staff), :func:`token_login` posts ``/api/v1/auth/token/`` and keeps the bearer token
it answers with. A TOTP code is good once (django-otp refuses a replayed time step), so a staff
member's second login uses the next step's code, which the device accepts within its tolerance.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from sifa.accounts import consents
from sifa.accounts import services as accounts
from sifa.accounts.management.commands import _demo
from sifa.accounts.models import ConsentRecord, LegalPerson, Mandate, NaturalPerson, User
from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationMaterial
from sifa.catalogue import services as catalogue
from sifa.catalogue.models import CatalogueItem, ImplementationEntry
from sifa.catalogue.tests.conftest import build_tree
from sifa.complaints import services as complaints
from sifa.consultation import services as consultations
from sifa.consultation.models import Faq
from sifa.core import limits
from sifa.deadlines import db_calendar
from sifa.deadlines.notices import parse_days
from sifa.deadlines.services import record_calendar_alert, save_notice_draft, seed_calendar
from sifa.demo.cases import LAWYER_FULL_TIME, demo_cases, demo_pdf, load_cases
from sifa.demo.consultations import ensure_consultations
from sifa.demo.disclosure import ensure_notices
from sifa.demo.inspections import load_mock
from sifa.demo.mandates import load_mandates
from sifa.demo.mediation import ensure_roster
from sifa.disclosure import services as disclosure
from sifa.documents.models import Document
from sifa.evaluation import services as evaluation
from sifa.inspections import services as inspections
from sifa.licences import services as licences
from sifa.licences.models import Licence
from sifa.notifications.models import Delivery, Notification
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.testing import tree
from sifa.testing.cases import entry_with_situations
from sifa.testing.clock import travel
from sifa.testing.notices import HOLIDAYS_2027
from sifa.workbench.actions import available_actions
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import start_case

ADMIN_PASSWORD = "Sifa-probe-2026!"  # a test account's password


def routes() -> list[str]:
    """Every route of the root URLconf, as written (``<conv:name>`` and router regexes alike)."""
    found: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                found.append(prefix + route)

    walk(get_resolver().url_patterns, "/")
    return sorted(set(found))


@dataclass
class World:
    orgs: dict[str, Any]
    users: dict[str, User]
    login: dict[str, str]
    """The identifier each user types on the login page (phone for citizens, username for staff)."""
    values: dict[str, str] = field(default_factory=dict)
    """Real ids and public ids of the objects the pages name, by a short key."""
    passwords: dict[str, str] = field(default_factory=dict)


def build() -> World:
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.consultation.services import load_starter_faq
    from sifa.laws.services import import_sample as import_laws_sample
    from sifa.licences.services import load_licence_types

    orgs = build_tree()
    generate_entries(load_items())
    load_licence_types()  # as `sifa run` does: the demo's approvals issue licences
    import_laws_sample()  # as `sifa run` does: the law library's built-in sample
    load_starter_faq()  # as `sifa run` does: the starter knowledge base (常见问题)
    orgs.update(tree("sc", on=orgs))  # 杭州市上城区司法局, citizen B's county
    seed_calendar(2026, 2026)
    db_calendar.forget()
    limits.clear()
    call_command("load-demo", verbosity=0)
    cases = load_cases()
    load_mandates()
    mediators = ensure_roster()
    ensure_consultations()  # the demo 12348 tickets: an open call, an answered and an escalated one

    demo = {u.username: u for u in User.objects.filter(is_demo=True)}
    lawyer = next(c for c in demo_cases() if c.key == "lawyer")
    citizen = lawyer.applicant
    admin = User.objects.create_superuser("probe-admin", password=ADMIN_PASSWORD, kind="staff")
    accounts.add_totp_device(admin)
    # 三员分立: a superuser reads the audit trail only with the audit administrator's role.
    auditor = User.objects.create_superuser("probe-auditor", password=ADMIN_PASSWORD, kind="staff")
    accounts.grant_role(auditor, orgs["zj"], Role.AUDIT_ADMIN)
    accounts.add_totp_device(auditor)
    users = {
        "citizen": citizen,
        "staff-city": demo["demo-city"],
        "staff-county": demo["demo-county"],
        "staff-province": demo["demo-province"],
        "staff-township": demo["demo-township"],
        "staff-calendar": demo["demo-calendar"],
        "staff-audit": demo["demo-auditadmin"],
        "staff-inspector": demo["demo-inspector"],
        "staff-security": demo["demo-secadmin"],
        "staff-exchange": demo["demo-exchange"],
        "admin": admin,
        "admin-auditor": auditor,
    }
    login = {name: u.username for name, u in users.items()}
    login["citizen"] = _demo.CITIZEN["phone"]
    world = World(orgs=orgs, users=users, login=login)
    world.passwords = {name: _demo.DEMO_PASSWORD for name in users} | {
        "admin": ADMIN_PASSWORD,
        "admin-auditor": ADMIN_PASSWORD,
    }

    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
    delivered = cases["lawyer"]

    # 陈明's draft with one material, and his second application, waiting for acceptance at 杭州市:
    # filed as before the one-licence rule (律师法 §10), which refuses them to the holder of the
    # 律师执业证 load_cases issued — a deployment's older applications look like this, and the pages
    # must still show them (their approval is refused, 409 licence.already_held).
    with _before_the_one_licence_rule():
        draft = applications.start_draft(entry, actor=citizen, form_data=lawyer.form_data)
        _upload_all(draft, citizen)
        pending = applications.start_draft(entry, actor=citizen, form_data=lawyer.form_data)
        _upload_all(pending, citizen)
        _pending, query_code = applications.submit(pending, actor=citizen)
    # Drafts of an item whose guide asks 情形 questions, for the situations pages.
    asks = entry_with_situations(orgs["hz"])
    situations_draft = applications.start_draft(asks, actor=citizen)
    walk_in_situations = _walk_in(asks, users["staff-city"], {}, "9")
    applications.run_pre_review(pending.pk)
    pending.refresh_from_db()
    start_case(pending)
    open_items = list(WorkItem.objects.filter(application=pending, status=WorkItemStatus.OPEN))
    [action, *_] = available_actions(actor_for(users["staff-city"]), pending, open_items)

    # A walk-in draft the city's window clerk files for a person without an account.
    walk_in, walk_in_submitted = (_walk_in(entry, users["staff-city"], lawyer.form_data, seq) for seq in "78")
    applications.submit(walk_in_submitted, actor=users["staff-city"])
    # One whose 一次性告知书 the window answers for the walk-in (/workbench/window/<id>/correction/).
    walk_in_correction = _walk_in(entry, users["staff-city"], lawyer.form_data, "5")
    applications.submit(walk_in_correction, actor=users["staff-city"])
    first_material = walk_in_correction.version.materials.order_by("order", "id").first()
    applications.issue_correction_notice(
        walk_in_correction,
        items=[{"field": f"materials.{first_material.pk}", "message": "请补充签名后的申请书"}],
        actor=users["staff-city"],
    )

    licence = Licence.objects.filter(holder=citizen).order_by("id").first()
    grant = licences.grant(
        licence,
        holder=citizen,
        purpose="律师事务所核验执业证",
        valid_until=dt.date.today() + dt.timedelta(days=60),
        organisation_id=orgs["hz"].pk,
    )
    item = CatalogueItem.objects.get(basic_code=LAWYER_FULL_TIME)
    version = catalogue.new_draft(item, system=True)
    holidays, _errors = parse_days(HOLIDAYS_2027, "holidays", name_required=True)
    makeup, _errors = parse_days("2027-01-02 元旦\n2027-02-20 春节", "makeup_workdays", name_required=False)
    notice = save_notice_draft(
        user=users["staff-calendar"],
        year=2027,
        document_number="国办发明电〔2026〕12号",
        issued_on=dt.date(2026, 11, 4),
        holidays=holidays,
        makeup_workdays=makeup,
    )
    Group.objects.get_or_create(name="探针用户组")
    # A mistyped password: the lockout guard's attempt, failure log and access log rows (admin pages).
    Client().post("/accounts/login/", {"username": "demo-county2", "password": "wrong-password"})
    limits.clear()
    record_calendar_alert(2027)  # a deadline that needed next year's calendar (monitoring, admin)
    StaticDevice.objects.get_or_create(user=admin, name="备用验证码")
    _queued_task(notice.pk)
    committee = mediators[0].committee
    # 陈明's online consultation (法律咨询), for its pages and the channel API.
    consultation = consultations.create_ticket(
        citizen,
        channel="web",
        category="mediation",
        region=orgs["xh_town"].region.code,
        title="邻居装修漏水如何调解",
        question="楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？",
    ).ticket
    # 陈明 rates his delivered case 非常不满意: a rectification opens at 杭州市司法局 (好差评).
    rating = evaluation.rate(
        citizen,
        subject="application",
        number=delivered.number,
        level="very_dissatisfied",
        comment="材料要求反复变化，多跑了一次",
    )
    # A window visit at 杭州市司法局 to be rated on the counter's 评价器 (a single-use link).
    visit_link = evaluation.invite_visit(users["staff-city"], channel="window_tablet")
    # An anonymous complaint about the 司法所's window (投诉举报), followed by its tracking code.
    complaint = complaints.submit(
        None,
        kind="complaint",
        subject_kind="service",
        organisation=orgs["xh_town"].pk,
        text="窗口工作人员让我来回跑了三次，每次要求的材料都不一样。",
        anonymous=True,
    )
    # 陈明's own named complaint, followed in 我的空间 (我的投诉).
    my_complaint = complaints.submit(
        citizen,
        kind="complaint",
        subject_kind="service",
        organisation=orgs["hz"].pk,
        text="窗口要求重复提交已经在网上提交过的证明材料。",
    ).complaint
    # The demo 政务公开 notices (published through 保密审查) and a draft of 杭州市司法局's.
    published_notices = ensure_notices()
    notice_draft = disclosure.save_draft(
        users["staff-city"],
        organisation=orgs["hz"].pk,
        category="news",
        title="杭州市司法局开展法治宣传进社区活动",
        body="本月起，杭州市司法局组织律师、人民调解员走进社区，开展法治宣传和法律咨询服务。",
    )
    # The demo inspector's mock application (模拟办件), handled to delivered and scored; and a random
    # check of this month's closed cases at 杭州市司法局, drawn on the first day of next month.
    mock = load_mock()
    today = timezone.localdate()
    with travel((today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)):
        check = inspections.draw(
            users["staff-inspector"],
            organisation=orgs["hz"].pk,
            period=today.strftime("%Y-%m"),
            size=2,
            seed="probe",
        ).check
    person = NaturalPerson.objects.get(user=citizen)
    company = LegalPerson.objects.get(user=demo_cases()[1].applicant)

    world.values = {
        "region": orgs["hz"].region.code,
        "organisation": str(orgs["hz"].pk),
        "person": str(person.pk),
        "company": str(company.pk),
        "mandate": str(Mandate.objects.filter(principal=citizen).order_by("created_at").first().pk),
        # 陈明 registered with the §29 separate consent (load-demo goes through the registration service).
        "consent": str(ConsentRecord.objects.filter(user=citizen).order_by("id").first().pk),
        "basic_code": LAWYER_FULL_TIME,
        "catalogue_draft": str(version.number),
        "implementation_code": entry.implementation_code,
        "year": "2026",
        "statute": "律师法-2017-09-01",
        "article": "6",
        "message": str(Notification.objects.filter(recipient=citizen).order_by("id").first().public_id),
        "delivery": str(Delivery.objects.order_by("id").first().public_id),
        "draft": str(draft.pk),
        "draft_material": _material(draft),
        "case": delivered.number,
        "case_material": _material(delivered),
        "pending": pending.number,
        "pending_material": _material(pending),
        "pending_id": str(pending.pk),
        "query_code": query_code,
        "action": action.key,
        "command": "accept",
        "document": str(
            Document.objects.filter(related_id=delivered.number).order_by("id").first().public_id
        ),
        "office": str(orgs["xh_town"].pk),
        "consultation": consultation.number,
        "rectification": str(rating.rectification.pk),
        "rectification_command": "callback",
        "rate_token": visit_link.token,
        "complaint": complaint.complaint.number,
        "complaint_code": complaint.tracking_code,
        "my_complaint": my_complaint.number,
        "complaint_command": "accept",
        "mock": str(mock.public_id),
        "check": str(check.public_id),
        "check_case": check.cases.order_by("position").first().application.number,
        "committee": str(committee.pk),
        "mediator": str(mediators[0].pk),
        "licence": licence.identifier,
        "authorisation": str(grant.id),
        "licence_action": "suspend",
        "faq": str(Faq.objects.get(source_key="lawyer-certificate-lost").public_id),
        "directory_kind": "lawyer",
        "directory_id": licence.number,
        "walk_in": str(walk_in.pk),
        "walk_in_material": _material(walk_in),
        "walk_in_submitted": str(walk_in_submitted.pk),
        "walk_in_correction": str(walk_in_correction.pk),
        "situations_draft": str(situations_draft.pk),
        "walk_in_situations": str(walk_in_situations.pk),
        "notice": str(notice.pk),
        "totp_device": str(TOTPDevice.objects.get(user=admin).pk),
        "disclosure_notice": str(published_notices[0].public_id),
        "disclosure_draft": str(notice_draft.public_id),
        "disclosure_dataset": "notices",
        "disclosure_format": "csv",
        "incident": _incident(),
        "incident_action": "acknowledge",
        "security_report": _security_report(),
    }
    return world


def _incident() -> str:
    """A platform-wide 安全事件单 for the security administrator: failed logins from one address."""
    from sifa.audit.services import record
    from sifa.security.services import detect

    for _ in range(settings.SECURITY_FAILED_LOGINS):
        record(
            "auth.login",
            subject=User,
            result="failed",
            ip_address="203.0.113.50",
            detail={"method": "password"},
        )
    [incident] = [i for i in detect().opened if i.rule == "login.address"]
    return str(incident.public_id)


def _security_report() -> str:
    """This week's 安全周报 of every jurisdiction with a security administrator."""
    from django.utils import timezone

    from sifa.security.services import weekly_reports

    return str(weekly_reports(monday=timezone.localdate())[0].public_id)


def _queued_task(notice_id: int) -> None:
    """A task row as production queues it (tests run tasks at once, so none is stored otherwise)."""
    from django_tasks_db.backend import DatabaseBackend

    from sifa.deadlines.tasks import recompute_after_notice

    DatabaseBackend("default", {"QUEUES": [], "OPTIONS": {}}).enqueue(recompute_after_notice, [notice_id], {})


@contextlib.contextmanager
def _before_the_one_licence_rule() -> Iterator[None]:
    """The licence wallet as it was before the one-licence rule: it still finds materials, and
    answers no licence already held (``held``)."""
    from sifa.applications.onceonly import registry

    wallet = registry.get("licence")

    class Before:
        def find(self, application: Any, material: Any) -> Any:
            return wallet.find(application, material)

        def held(self, application: Any) -> None:
            return None

    with registry.override("licence", Before()):
        yield


def _walk_in(entry: ImplementationEntry, clerk: User, form_data: dict[str, Any], seq: str) -> Application:
    """A walk-in draft the window clerk files for a person without an account (一窗受理)."""
    person = {
        "kind": "person",
        "name": "孙窗口",
        "id_number": _demo._id_number({"birth": "19800101", "seq": seq * 3}),
        "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER).version,
    }
    app = applications.start_draft(entry, actor=clerk, walk_in=person, form_data=form_data, channel="window")
    if form_data:
        _upload_all(app, clerk)
    return app


def _upload_all(application: Application, actor: User) -> None:
    from sifa.applications.services.draft_materials import missing_material_errors

    for problem in missing_material_errors(application):
        applications.upload_material(
            application,
            actor=actor,
            material_id=int(problem["field"].split(".", 1)[1]),
            fileobj=io.BytesIO(demo_pdf("probe")),
            filename="探针材料.pdf",
            declared_content_type="application/pdf",
        )


def _material(application: Application) -> str:
    row = ApplicationMaterial.objects.filter(application=application).exclude(storage_key="").first()
    return str(row.pk)


# --- logging in for real -----------------------------------------------------------------------


def totp_code(user: User, steps_ahead: int = 0) -> str:
    """The device's code for the current time step, or for a later one (still accepted within the
    device's tolerance, and never a replay of a code already used)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{totp.token():0{device.digits}d}"


def _needs_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_login(world: World, name: str, *, steps_ahead: int = 0) -> Client:
    """A browser-like client logged in through the login page (password + TOTP for staff)."""
    user = world.users[name]
    client = Client()
    limits.clear()  # the login throttle counts in the shared limits store
    data = {"username": world.login[name], "password": world.passwords[name]}
    if _needs_totp(user):
        data["totp"] = totp_code(user, steps_ahead)
    response = client.post("/accounts/login/", data)
    assert response.status_code == 302, (name, response.status_code, response.content[:500])
    return client


def token_login(world: World, name: str, *, steps_ahead: int = 0) -> APIClient:
    """An API client holding the bearer token ``/api/v1/auth/token/`` answered with."""
    user = world.users[name]
    client = APIClient()
    limits.clear()
    data = {"username": world.login[name], "password": world.passwords[name]}
    if _needs_totp(user):
        data["totp"] = totp_code(user, steps_ahead)
    response = client.post("/api/v1/auth/token/", data, format="json")
    assert response.status_code == 201, (name, response.status_code, response.content[:500])
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
