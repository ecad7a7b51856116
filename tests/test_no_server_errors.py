"""Never a 5xx, on every route of the root URLconf, as every kind of person, logged in for real.

The probe walks every route of ``sifa.conf.urls`` — the pages, the DRF router routes and the rest
of ``/api/v1/``, and the admin site — and fills its path parameters with real ids of the objects
of the demo world (``tests/probe_world.py``). Each identity logs in the way a person does: a
session through the login page (password, plus the TOTP code for staff) for the pages and the
admin, a bearer token from ``/api/v1/auth/token/`` for the API. Every route is requested with GET
and HEAD by anonymous, the citizen 陈明, the staff members (杭州市 window/review/decision, 西湖区,
the province's decision maker and supervisor, the 司法所's roster keeper, the calendar
administrator, the province's inspector, 杭州's 数据交换管理员) and the admin (a superuser).

* No answer is a 5xx (nor an exception).
* A route an identity gets a 2xx on counts as reached by it. The reach per identity is printed
  (``-s``) and checked: anonymous reaches every public page, the citizen every ``/me/`` page and
  API, the staff together every ``/workbench/`` page, the admin every admin page — apart from the
  routes in ``NOT_A_PAGE`` (POST only, or a redirect by design), each with its reason. A
  regression that turns a page into a redirect to the login for everyone fails here.
* A route with path parameters is filled from ``FILL`` or listed in ``UNFILLED`` with the reason;
  a new route that is in neither fails the first test.

A second test sends garbage (malformed path values, query strings, POST bodies) to every route as
the same logged-in identities: never a 5xx.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pprint import pformat
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from rest_framework.test import APIClient

from sifa.core import limits
from tests import probe_world
from tests.probe_world import World, routes

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=150)]
# Every test but the HEAD sweep is in the SQLite smoke subset (docs/testing.md, "The SQLite run
# beside it").
smoke = pytest.mark.smoke

STAFF = (
    "staff-city",
    "staff-county",
    "staff-province",
    "staff-township",
    "staff-calendar",
    "staff-audit",
    "staff-inspector",
    "staff-security",
    "staff-exchange",
)
ADMINS = ("admin", "admin-auditor")
IDENTITIES = ("anonymous", "citizen", *STAFF, *ADMINS)
GROUPS = {"anonymous": ("anonymous",), "citizen": ("citizen",), "staff": STAFF, "admin": ADMINS}

# --- the routes ---------------------------------------------------------------------------------

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>(?P<regex>[^)]*)\)")


def params(route: str) -> list[str]:
    return [m["name"] or m["rname"] for m in PARAM.finditer(route)]


# Which world value fills each parameter of each route (keys of ``World.values``). A new route with
# a path parameter must be added here or to UNFILLED: the first test fails until it is.
FILL: dict[str, dict[str, str]] = {
    # API: router routes
    "/api/v1/^regions/(?P<code>[^/]+)/$": {"code": "region"},
    "/api/v1/^organisations/(?P<pk>[^/]+)/$": {"pk": "organisation"},
    "/api/v1/organisations/<str:pk>/document-code/": {"pk": "organisation"},
    "/api/v1/persons/<str:pk>/": {"pk": "person"},
    "/api/v1/companies/<str:pk>/": {"pk": "company"},
    "/api/v1/mandates/<str:pk>/": {"pk": "mandate"},
    "/api/v1/mandates/<str:pk>/revoke/": {"pk": "mandate"},
    # API: catalogue, calendar, messages, deliveries
    "/api/v1/catalogue/items/<str:basic_code>/": {"basic_code": "basic_code"},
    "/api/v1/catalogue/items/<str:basic_code>/drafts/": {"basic_code": "basic_code"},
    "/api/v1/catalogue/items/<str:basic_code>/drafts/<str:number>/": {
        "basic_code": "basic_code",
        "number": "catalogue_draft",
    },
    "/api/v1/catalogue/items/<str:basic_code>/drafts/<str:number>/publish/": {
        "basic_code": "basic_code",
        "number": "catalogue_draft",
    },
    "/api/v1/catalogue/items/<str:basic_code>/versions/<str:number>/withdraw/": {
        "basic_code": "basic_code",
        "number": "catalogue_draft",
    },
    "/api/v1/catalogue/implementations/<str:implementation_code>/": {
        "implementation_code": "implementation_code"
    },
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide/": {
        "implementation_code": "implementation_code"
    },
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide.pdf": {
        "implementation_code": "implementation_code"
    },
    "/api/v1/calendar/<str:year>/": {"year": "year"},
    "/api/v1/laws/<str:statute_id>/": {"statute_id": "statute"},
    "/api/v1/faq/<str:faq_id>/": {"faq_id": "faq"},
    "/api/v1/me/messages/<str:public_id>/read/": {"public_id": "message"},
    "/api/v1/me/consents/<str:pk>/withdraw/": {"pk": "consent"},
    "/api/v1/notifications/deliveries/<str:public_id>/resend/": {"public_id": "delivery"},
    "/api/v1/exchange/messages/<str:message_id>/resend/": {
        "message_id": "00000000-0000-4000-8000-000000000000"
    },
    # API: applications and cases
    "/api/v1/applications/drafts/<str:ref>/": {"ref": "draft"},
    "/api/v1/applications/<str:ref>/": {"ref": "case"},
    "/api/v1/applications/<str:ref>/submit/": {"ref": "draft"},
    "/api/v1/applications/<str:ref>/materials/": {"ref": "draft"},
    "/api/v1/applications/<str:ref>/materials/<str:material_id>/file/": {
        "ref": "case",
        "material_id": "case_material",
    },
    "/api/v1/applications/<str:ref>/correction/": {"ref": "pending"},
    "/api/v1/applications/<str:ref>/withdraw/": {"ref": "pending"},
    "/api/v1/applications/<str:ref>/findings/": {"ref": "pending"},
    "/api/v1/applications/<str:ref>/correction-notice/": {"ref": "pending"},
    "/api/v1/track/<str:number>/": {"number": "pending"},
    "/api/v1/cases/<str:number>/": {"number": "pending"},
    "/api/v1/cases/<str:number>/commands/<str:command>/": {"number": "pending", "command": "command"},
    "/api/v1/cases/<str:number>/licence/pdf/": {"number": "case"},
    "/api/v1/documents/<str:public_id>/": {"public_id": "document"},
    "/api/v1/documents/<str:public_id>/pdf/": {"public_id": "document"},
    # API: the monthly 绩效通报 (a literal period: a month that is over)
    "/api/v1/indicators/report/<str:organisation>/<str:period>.pdf": {
        "organisation": "organisation",
        "period": "2026-01",
    },
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/issue/": {
        "organisation": "organisation",
        "period": "2026-01",
    },
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/withdraw/": {
        "organisation": "organisation",
        "period": "2026-01",
    },
    # API: mediation roster
    "/api/v1/mediation/offices/<str:org_id>/committees/": {"org_id": "office"},
    "/api/v1/mediation/committees/<str:committee_id>/mediators/": {"committee_id": "committee"},
    "/api/v1/mediation/mediators/<str:mediator_id>/active/": {"mediator_id": "mediator"},
    # API: licences
    "/api/v1/licences/verify/<str:identifier>/": {"identifier": "licence"},
    # API: directory (the demo lawyer, by the licence number)
    "/api/v1/directory/<str:kind>/<str:entry_id>/": {"kind": "directory_kind", "entry_id": "directory_id"},
    "/api/v1/licences/<str:identifier>/pdf/": {"identifier": "licence"},
    "/api/v1/me/licences/<str:identifier>/authorisations/": {"identifier": "licence"},
    "/api/v1/me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/": {
        "identifier": "licence",
        "authorisation_id": "authorisation",
    },
    "/api/v1/me/licences/<str:identifier>/uses/": {"identifier": "licence"},
    "/api/v1/staff/licences/<str:identifier>/": {"identifier": "licence"},
    "/api/v1/staff/licences/<str:identifier>/<str:action>/": {
        "identifier": "licence",
        "action": "licence_action",
    },
    # Workbench
    "/workbench/cases/<str:number>/": {"number": "pending"},
    "/workbench/cases/<str:number>/licence.pdf": {"number": "case"},
    "/workbench/cases/<str:number>/actions/<str:key>/": {"number": "pending", "key": "action"},
    "/workbench/cases/<str:number>/materials/<str:material_id>/": {
        "number": "pending",
        "material_id": "pending_material",
    },
    "/workbench/window/<uuid:app_id>/situations/": {"app_id": "walk_in_situations"},
    "/workbench/window/<uuid:app_id>/form/<int:step>/": {"app_id": "walk_in", "step": "step"},
    "/workbench/window/<uuid:app_id>/materials/": {"app_id": "walk_in"},
    "/workbench/window/<uuid:app_id>/materials/<str:material_id>/": {
        "app_id": "walk_in",
        "material_id": "walk_in_material",
    },
    "/workbench/window/<uuid:app_id>/pickup/": {"app_id": "walk_in"},
    "/workbench/window/<uuid:app_id>/check/": {"app_id": "walk_in"},
    "/workbench/window/<uuid:app_id>/receipt/": {"app_id": "walk_in_submitted"},
    "/workbench/window/<uuid:app_id>/correction/": {"app_id": "walk_in_correction"},
    "/workbench/window/<uuid:app_id>/withdraw/": {"app_id": "walk_in_submitted"},
    "/workbench/deliveries/<str:public_id>/resend/": {"public_id": "delivery"},
    "/workbench/exchange/<str:message_id>/resend/": {"message_id": "00000000-0000-4000-8000-000000000000"},
    "/workbench/security/<uuid:public_id>/": {"public_id": "incident"},
    "/workbench/security/reports/<uuid:public_id>/": {"public_id": "security_report"},
    "/workbench/security/<uuid:public_id>/actions/<str:key>/": {
        "public_id": "incident",
        "key": "incident_action",
    },
    "/workbench/mediation/<int:office_id>/": {"office_id": "office"},
    "/workbench/consultations/<str:number>/": {"number": "consultation"},
    "/workbench/rectifications/<int:rectification_id>/": {"rectification_id": "rectification"},
    "/workbench/complaints/<str:number>/": {"number": "complaint"},
    "/workbench/inspections/checks/<str:check_id>/": {"check_id": "check"},
    "/workbench/inspections/checks/<str:check_id>/cases/<str:number>/": {
        "check_id": "check",
        "number": "check_case",
    },
    "/workbench/inspections/mocks/<str:mock_id>/": {"mock_id": "mock"},
    "/workbench/calendar/notices/<str:notice_id>/": {"notice_id": "notice"},
    "/workbench/calendar/notices/<str:notice_id>/edit/": {"notice_id": "notice"},
    "/workbench/calendar/notices/<str:notice_id>/publish/": {"notice_id": "notice"},
    "/workbench/licences/<str:identifier>/": {"identifier": "licence"},
    "/workbench/faq/<str:faq_id>/": {"faq_id": "faq"},
    "/workbench/disclosure/<str:public_id>/": {"public_id": "disclosure_draft"},
    "/workbench/disclosure/<str:public_id>/edit/": {"public_id": "disclosure_draft"},
    "/workbench/licences/<str:identifier>/actions/<str:action>/": {
        "identifier": "licence",
        "action": "licence_action",
    },
    # API: consultation tickets (陈明's online consultation)
    "/api/v1/consultations/<str:number>/": {"number": "consultation"},
    "/api/v1/consultations/<str:number>/answer/": {"number": "consultation"},
    "/api/v1/consultations/<str:number>/transfer/": {"number": "consultation"},
    "/api/v1/consultations/<str:number>/rating/": {"number": "consultation"},
    "/api/v1/consultations/<str:number>/convert/": {"number": "consultation"},
    # API: 好差评 rectifications
    "/api/v1/rectifications/<str:id>/commands/<str:command>/": {
        "id": "rectification",
        "command": "rectification_command",
    },
    # API: complaints and reports (投诉举报)
    "/api/v1/complaints/track/<str:number>/": {"number": "complaint"},
    "/api/v1/complaints/<str:number>/": {"number": "complaint"},
    "/api/v1/complaints/<str:number>/commands/<str:command>/": {
        "number": "complaint",
        "command": "complaint_command",
    },
    # API: inspections (督查: the demo inspector's mock application and random check)
    "/api/v1/inspections/mock-applications/<str:id>/": {"id": "mock"},
    "/api/v1/inspections/mock-applications/<str:id>/score/": {"id": "mock"},
    "/api/v1/inspections/random-checks/<str:id>/": {"id": "check"},
    "/api/v1/inspections/random-checks/<str:id>/cases/<str:number>/finding/": {
        "id": "check",
        "number": "check_case",
    },
    # Public pages
    "/rate/<str:token>/": {"token": "rate_token"},
    "/consultations/<str:number>/": {"number": "consultation"},
    "/consultations/<str:number>/rating/": {"number": "consultation"},
    "/consultations/<str:number>/convert/": {"number": "consultation"},
    "/verify/<str:identifier>": {"identifier": "licence"},
    "/faq/<str:faq_id>/": {"faq_id": "faq"},
    "/directory/<str:kind>/<str:entry_id>/": {"kind": "directory_kind", "entry_id": "directory_id"},
    "/catalogue/<str:basic_code>/": {"basic_code": "basic_code"},
    "/laws/<str:slug>/": {"slug": "statute"},
    "/laws/<str:slug>/<str:key>/": {"slug": "statute", "key": "article"},
    "/guides/preview/<str:basic_code>/<str:number>/": {
        "basic_code": "basic_code",
        "number": "catalogue_draft",
    },
    "/guides/<str:implementation_code>.json": {"implementation_code": "implementation_code"},
    "/guides/<str:implementation_code>/guide.pdf": {"implementation_code": "implementation_code"},
    "/guides/<str:implementation_code>/": {"implementation_code": "implementation_code"},
    "/open-data/implementations/<str:province>.json": {"province": "330000"},
    "/disclosure/opendata/<str:dataset>.<str:fmt>": {
        "dataset": "disclosure_dataset",
        "fmt": "disclosure_format",
    },
    "/disclosure/notices/<str:public_id>/": {"public_id": "disclosure_notice"},
    "/disclosure/<int:org_id>/": {"org_id": "organisation"},
    "/disclosure/<int:org_id>/feed.atom": {"org_id": "organisation"},
    # Citizen pages
    "/apply/drafts/<uuid:app_id>/situations/": {"app_id": "situations_draft"},
    "/apply/drafts/<uuid:app_id>/form/<int:step>/": {"app_id": "draft", "step": "step"},
    "/apply/drafts/<uuid:app_id>/materials/": {"app_id": "draft"},
    "/apply/drafts/<uuid:app_id>/pickup/": {"app_id": "draft"},
    "/apply/drafts/<uuid:app_id>/check/": {"app_id": "draft"},
    "/apply/drafts/<uuid:app_id>/done/": {"app_id": "pending_id"},
    "/apply/<str:implementation_code>/": {"implementation_code": "implementation_code"},
    "/me/applications/<str:ref>/": {"ref": "case"},
    "/me/applications/<str:ref>/correction/": {"ref": "pending"},
    "/me/applications/<str:ref>/withdraw/": {"ref": "pending"},
    "/me/applications/<str:ref>/rating/": {"ref": "case"},
    "/me/applications/<str:ref>/materials/<str:material_id>/file/": {
        "ref": "case",
        "material_id": "case_material",
    },
    "/me/messages/<str:public_id>/read/": {"public_id": "message"},
    "/me/complaints/<str:number>/": {"number": "my_complaint"},
    "/me/licences/<str:identifier>/": {"identifier": "licence"},
    "/me/licences/<str:identifier>/pdf/": {"identifier": "licence"},
    "/me/licences/<str:identifier>/authorise/": {"identifier": "licence"},
    "/me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/": {
        "identifier": "licence",
        "authorisation_id": "authorisation",
    },
    "/me/mandates/<str:mandate_id>/revoke/": {"mandate_id": "mandate"},
    "/me/privacy/consents/<str:consent_id>/withdraw/": {"consent_id": "consent"},
    "/me/documents/<str:public_id>/pdf/": {"public_id": "document"},
    "/applications/<str:ref>/": {"ref": "case"},
    # Admin (the model pages are filled by ``_admin_values``)
    "/admin/otp_totp/totpdevice/<int:pk>/config/": {"pk": "totp_device"},
    "/admin/otp_totp/totpdevice/<int:pk>/qrcode/": {"pk": "totp_device"},
    "/admin/r/<path:content_type_id>/<path:object_id>/": {
        "content_type_id": "audit_content_type",
        "object_id": "audit_event",
    },
    "/admin/(?P<url>.*)$": {"url": "no-such-admin-page/"},  # a key not in World.values is used as is
}

# Query strings some GET routes need to answer 2xx (formatted with ``World.values``).
QUERY: dict[str, str] = {
    "/api/v1/track/<str:number>/": "code={query_code}",
    "/api/v1/mediation/roster/": "organisation={office}",
    "/api/v1/faq/": "q=律师证",
    "/api/v1/complaints/track/<str:number>/": "code={complaint_code}",
    "/open-data/changes.json": "since=2020-01-01T00:00:00",
}

UNFILLED: dict[str, str] = {}
"""Routes with path parameters the probe does not fill, each with the reason (none today)."""

# Routes no identity is expected to get a 2xx on with GET, and why. Every other route of the
# families below must be reached by its identity (``REACH``).
NOT_A_PAGE: dict[str, str] = {
    "/accounts/logout/": "POST only (logging out is a form button)",
    "/admin/logout/": "POST only (Django ≥ 5: logging out is a form button)",
    "/admin/(?P<url>.*)$": "the admin's catch-all: an unknown admin address is a 404",
    "/admin/r/<path:content_type_id>/<path:object_id>/": "“view on site”: audit events have no public page",
    "/me/messages/<str:public_id>/read/": "POST only (marks a message read)",
    "/me/applications/<str:ref>/rating/": "POST only (rates a finished case, 好差评)",
    "/me/applications/<str:ref>/correction/": "needs a case waiting for the applicant's correction",
    "/workbench/deliveries/<str:public_id>/resend/": "POST only (resends)",
    "/workbench/exchange/<str:message_id>/resend/": "POST only (resends a dead letter)",
    "/workbench/security/<uuid:public_id>/actions/<str:key>/": "POST only (确认, 处置, 关闭 an incident)",
    "/workbench/calendar/notices/<str:notice_id>/publish/": "POST only (publishes)",
    "/workbench/indicators/issue/": "POST only (印发 the month's 绩效通报)",
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/issue/": "POST only (印发 the 通报)",
    "/api/v1/indicators/report/<str:organisation>/<str:period>/commands/withdraw/": "POST only (撤销 the 通报)",
    "/workbench/indicators/withdraw/": "POST only (撤销 the month's 绩效通报)",
    "/applications/<str:ref>/": "a redirect by design: old notification links to 我的空间",
    "/api/v1/me/messages/<str:public_id>/read/": "POST only",
    "/api/v1/me/consents/<str:pk>/withdraw/": "POST only (withdraws a consent)",
    "/me/privacy/consents/": "POST only (gives the ID-number consent again)",
    "/api/v1/me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/": "POST only",
    "/consultations/new/done/": "a redirect by design to /consultations/ unless a consultation was just sent",
    "/consultations/<str:number>/rating/": "POST only (rates)",
    "/consultations/<str:number>/convert/": "POST only (turns the consultation into an application)",
    "/api/v1/consultations/<str:number>/answer/": "POST only",
    "/api/v1/consultations/<str:number>/transfer/": "POST only",
    "/api/v1/consultations/<str:number>/rating/": "POST only",
    "/api/v1/consultations/<str:number>/convert/": "POST only",
    "/api/v1/rectifications/<str:id>/commands/<str:command>/": "POST only",
    "/api/v1/complaints/<str:number>/commands/<str:command>/": "POST only",
    "/api/v1/exchange/inbox/": "POST only (a partner's signed envelope)",
    "/api/v1/exchange/messages/<str:message_id>/resend/": "POST only (resends a dead letter)",
    "/api/v1/inspections/mock-applications/<str:id>/score/": "POST only",
    "/api/v1/inspections/random-checks/<str:id>/cases/<str:number>/finding/": "POST only",
}


PUBLIC = (
    "/",
    "/healthz",
    "/readyz",
    "/accounts/login/",
    "/accounts/login/sms/",
    "/accounts/login/staff/",
    "/accounts/password/forgot/",
    "/register/",
    "/register/company/",
    "/track/",
    "/verify/",
    "/verify/<str:identifier>",
    "/directory/",
    "/directory/<str:kind>/<str:entry_id>/",
    "/consultations/",
    "/consultations/new/",
    "/consultations/track/",
    "/catalogue/",
    "/catalogue/<str:basic_code>/",
    "/laws/",
    "/laws/<str:slug>/",
    "/laws/<str:slug>/<str:key>/",
    "/guides/<str:implementation_code>/",
    "/guides/<str:implementation_code>.json",
    "/guides/<str:implementation_code>/guide.pdf",
    "/open-data/",
    "/open-data/catalogue.json",
    "/open-data/catalogue.csv",
    "/open-data/index.json",
    "/open-data/items.json",
    "/open-data/implementations/<str:province>.json",
    "/open-data/changes.json",
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/api/v1/^regions/$",
    "/api/v1/^regions/(?P<code>[^/]+)/$",
    "/api/v1/^organisations/$",
    "/api/v1/^organisations/(?P<pk>[^/]+)/$",
    "/api/v1/catalogue/items/",
    "/api/v1/catalogue/items/<str:basic_code>/",
    "/api/v1/catalogue/implementations/",
    "/api/v1/catalogue/implementations/<str:implementation_code>/",
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide/",
    "/api/v1/catalogue/implementations/<str:implementation_code>/guide.pdf",
    "/api/v1/calendar/<str:year>/",
    "/api/v1/track/<str:number>/",
    "/api/v1/licences/verify/<str:identifier>/",
    "/api/v1/keys/",
    "/api/v1/mediation/roster/",
    "/api/v1/laws/",
    "/api/v1/laws/<str:statute_id>/",
    "/api/v1/directory/",
    "/api/v1/directory/<str:kind>/<str:entry_id>/",
    "/faq/",
    "/faq/suggest/",
    "/faq/<str:faq_id>/",
    "/api/v1/faq/",
    "/api/v1/faq/<str:faq_id>/",
    "/api/v1/complaints/track/<str:number>/",
    "/complaints/new/",
    "/complaints/track/",
    "/disclosure/",
    "/disclosure/feed.atom",
    "/disclosure/opendata/",
    "/disclosure/opendata/<str:dataset>.<str:fmt>",
    "/disclosure/notices/<str:public_id>/",
    "/disclosure/<int:org_id>/",
    "/disclosure/<int:org_id>/feed.atom",
)
"""What anyone reaches without logging in."""

ADMIN_PAGE = re.compile(
    r"^/admin/(|jsi18n/|\^\(\?P<app_label>.*|\w+/\w+/(<path:object_id>/(change|history)/)?)$"
)
"""The admin pages the admin must reach: the index, the app indexes, each model's list, and the
change and history pages of a row (add and delete pages follow each model's permissions: audit
events, the lockout log and the calendar tables are read-only by design)."""


def _family(route: str) -> str | None:
    """Which identity group must reach ``route`` (None: its reach is not asserted)."""
    if route in NOT_A_PAGE:
        return None
    if route in PUBLIC:
        return "anonymous"
    if route.startswith("/admin/"):
        return "admin" if ADMIN_PAGE.match(route) else None
    if route.startswith("/workbench/"):
        return "staff"
    if route.startswith(("/me/", "/apply/", "/api/v1/me/")):
        return "citizen"
    return None


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(probe_world_module, django_db_blocker) -> World:
    with django_db_blocker.unblock():
        _more_values(probe_world_module)
    return probe_world_module


def _more_values(world: World) -> None:
    from sifa.audit.models import AuditEvent

    world.values |= {
        "step": "1",
        "audit_content_type": str(ContentType.objects.get_for_model(AuditEvent).pk),
        "audit_event": str(AuditEvent.objects.order_by("pk").first().pk),
    }


@dataclass
class Identity:
    name: str
    pages: Client
    api: Client


def _identities(world: World) -> dict[str, Identity]:
    out = {"anonymous": Identity("anonymous", Client(), APIClient())}
    for name in IDENTITIES[1:]:
        # Two logins, two TOTP codes: the token first with the current one, then the session
        # with the next step's (a code is good once).
        api = probe_world.token_login(world, name)
        pages = probe_world.session_login(world, name, steps_ahead=1)
        out[name] = Identity(name, pages, api)
    return out


def _admin_object(route: str) -> str | None:
    match = re.match(r"^/admin/(\w+)/(\w+)/<path:object_id>/", route)
    if not match:
        return None
    model = apps.get_model(match[1], match[2])
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"{route}: no {model.__name__} row in the probe's world: add one"
    return str(row.pk)


def fill(route: str, world: World) -> list[str]:
    """The concrete paths of ``route`` (one per choice of an alternation, e.g. the admin app index)."""
    values = dict(world.values)
    spec = FILL.get(route, {})
    app_labels: list[str] = [""]
    path = route
    for match in PARAM.finditer(route):
        name = match["name"] or match["rname"]
        if name == "object_id" and route.startswith("/admin/") and name not in spec:
            value = _admin_object(route)
        elif name == "app_label":
            app_labels = match["regex"].split("|")
            value = "{app_label}"
        else:
            key = spec[name]
            value = values.get(key, key)
        path = path.replace(match[0], str(value), 1)
    path = path.replace("^", "").replace("$", "")
    if route in QUERY:
        path += "?" + QUERY[route].format(**values)
    return [path.format(app_label=label) if label else path for label in app_labels]


def _unfillable(all_routes: list[str]) -> list[str]:
    """Routes with a parameter neither filled nor listed."""
    missing = []
    for route in all_routes:
        names = set(params(route)) - {"app_label"}
        if route.startswith("/admin/") and re.match(r"^/admin/\w+/\w+/<path:object_id>/", route):
            names -= {"object_id"}
        if names and route not in UNFILLED and not names <= set(FILL.get(route, {})):
            missing.append(route)
    return missing


def _client(identity: Identity, path: str) -> Client:
    return identity.api if path.startswith("/api/") else identity.pages


def _request(client: Client, method: str, path: str, **extra: Any) -> int | str:
    try:
        return getattr(client, method)(path, **extra).status_code
    except Exception as exc:  # an exception here is the bug we look for
        return repr(exc)[:300]


def _is_server_error(status: int | str) -> bool:
    return not isinstance(status, int) or status >= 500


@dataclass
class Sweep:
    statuses: dict[
        str, dict[str, int | str]
    ]  # identity → route → GET status (a 2xx if any of its paths gave one)
    failures: list[tuple[str, str, str, int | str]]

    def reached(self, group: str) -> set[str]:
        return {
            route
            for name in GROUPS[group]
            for route, status in self.statuses[name].items()
            if isinstance(status, int) and 200 <= status < 300
        }


def sweep(world: World, identities: dict[str, Identity], methods: tuple[str, ...] = ("get",)) -> Sweep:
    all_routes = routes()
    statuses: dict[str, dict[str, int | str]] = {name: {} for name in identities}
    failures = []
    for route in all_routes:
        if route in UNFILLED:
            continue
        for path in fill(route, world):
            for name, identity in identities.items():
                client = _client(identity, path)
                for method in methods:
                    status = _request(client, method, path)
                    if _is_server_error(status):
                        failures.append((name, method.upper(), path, status))
                    if method == "get":
                        previous = statuses[name].get(route)
                        if previous is None or (isinstance(previous, int) and not 200 <= previous < 300):
                            statuses[name][route] = status
            limits.clear()  # throttles count in the shared limits store
    # Nothing on the way logged anyone out: the sweep really ran as these people.
    for name in IDENTITIES[1:]:
        assert identities[name].pages.get("/accounts/me/").status_code == 200, name
    return Sweep(statuses, failures)


@pytest.fixture(scope="module")
def identities(world, django_db_blocker) -> dict[str, Identity]:
    with django_db_blocker.unblock():
        return _identities(world)


@pytest.fixture(scope="module")
def swept(world, identities, django_db_blocker) -> Sweep:
    with django_db_blocker.unblock():
        return sweep(world, identities)


# --- tests --------------------------------------------------------------------------------------


@smoke
def test_every_route_is_filled_or_listed():
    all_routes = routes()
    assert _unfillable(all_routes) == [], "add these routes to FILL (or to UNFILLED with the reason)"
    stale = (set(FILL) | set(UNFILLED) | set(NOT_A_PAGE)) - set(all_routes)
    assert stale == set(), "these routes no longer exist: remove them from FILL/UNFILLED/NOT_A_PAGE"


@smoke
def test_a_new_route_with_a_parameter_is_caught():
    """Mutation: a route nobody filled or listed makes the first test fail."""
    planted = "/me/new-things/<str:thing_id>/"
    assert _unfillable([*routes(), planted]) == [planted]


@smoke
def test_no_route_answers_5xx_to_anyone(swept):
    assert not swept.failures, "\n".join(map(str, swept.failures))


def test_no_route_answers_5xx_to_anyone_with_head(world, identities):
    """The same sweep with HEAD, which Django answers by running the GET view and dropping the
    body. Not in the SQLite smoke subset: the GET sweep there runs the same views and queries on
    SQLite; the full suite (PostgreSQL) runs this too (docs/testing.md)."""
    swept_head = sweep(world, identities, ("head",))
    assert not swept_head.failures, "\n".join(map(str, swept_head.failures))


@smoke
def test_every_identity_reaches_its_pages(swept):
    all_routes = routes()
    summary = {group: len(swept.reached(group)) for group in GROUPS}
    # sys.__stdout__: shown in CI's output, also from an xdist worker (the root conftest.py).
    print(f"routes: {len(all_routes)}; reached with a 2xx (GET):", file=sys.__stdout__)
    for group, members in GROUPS.items():
        detail = ", ".join(
            f"{m} {sum(1 for s in swept.statuses[m].values() if isinstance(s, int) and 200 <= s < 300)}"
            for m in members
        )
        print(f"  {group:<10} {summary[group]:>4}   ({detail})", file=sys.__stdout__)
    missing = {}
    for group in GROUPS:
        expected = {r for r in all_routes if _family(r) == group}
        unreached = sorted(expected - swept.reached(group))
        if unreached:
            missing[group] = {r: _statuses_of(swept, group, r) for r in unreached}
    assert not missing, pformat(missing, width=120)


def _statuses_of(swept: Sweep, group: str, route: str) -> dict[str, int | str]:
    return {name: swept.statuses[name].get(route, "-") for name in GROUPS[group]}


# --- garbage ------------------------------------------------------------------------------------

GARBAGE_VALUES = ["0", "-1", "x" * 300, "%00", "' OR 1=1 --", "../../etc/passwd", "９９", "1.2.156.3005.2.."]
GARBAGE_QUERY = {
    "page": "-1",
    "page_size": "abc",
    "q": "'\";--",
    "region": "zz",
    "level": "99",
    "status": "nope",
    "changed_since": "yesterday",
    "code": "\x00",
    "since": "x",
    "until": "y",
}
GARBAGE_BODY = {"garbage": ["x"], "n": "1e999"}
GARBAGE_IDENTITIES = ("anonymous", "citizen", "staff-city", "admin")
KEEP_LOGGED_IN = {"/accounts/logout/", "/api/v1/auth/token/revoke/", "/admin/logout/"}
"""Not posted to: the identities must stay logged in for the rest of the probe."""


def _garbage_routes() -> list[str]:
    return [
        r
        for r in routes()
        if not r.startswith("/admin/") and "(?P" not in r and "^" not in r and r not in KEEP_LOGGED_IN
    ]


def _garbage_paths(route: str) -> set[str]:
    if "<" not in route:
        return {route}
    return {re.sub(r"<(?:\w+:)?\w+>", v.replace("/", "%2F"), route) for v in GARBAGE_VALUES}


@smoke
def test_no_route_answers_5xx_to_garbage(swept, identities):
    """Malformed path values, query strings and bodies, from the same logged-in people (after the
    sweep, whose world this may change)."""
    failures = []
    for route in _garbage_routes():
        for path in _garbage_paths(route):
            for name in GARBAGE_IDENTITIES:
                client = _client(identities[name], path)
                for status, method in (
                    (_request(client, "get", path, data=GARBAGE_QUERY), "GET"),
                    (_request(client, "post", path, data=GARBAGE_BODY), "POST"),
                ):
                    if _is_server_error(status):
                        failures.append((name, method, path, status))
        limits.clear()
    assert not failures, "\n".join(map(str, failures))


@smoke
@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"path": "/api/v1/applications/%00/"},
        {"path": "/api/v1/catalogue/items/", "data": {"q": "律师\x00"}},
        {"path": "/api/v1/auth/token/", "method": "post", "data": {"username": "a\x00", "password": "x"}},
        {
            "path": "/api/v1/auth/token/",
            "method": "post",
            "data": {"username": "a\x00", "password": "x"},
            "format": "json",
        },
    ],
)
def test_nul_characters_are_refused_with_a_stable_code(kwargs):
    limits.clear()
    client = APIClient()
    method = kwargs.pop("method", "get")
    response = getattr(client, method)(kwargs.pop("path"), kwargs.pop("data", None), **kwargs)
    assert response.status_code == 400
    assert response.json()["code"] == "request.nul_character"
