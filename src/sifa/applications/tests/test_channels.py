"""Who may apply: the applicant, an agent with a mandate, a window clerk for a walk-in applicant."""

from __future__ import annotations

import datetime as dt

from sifa.accounts import consents
from sifa.accounts.models import Mandate
from sifa.applications.models import Application, SubmissionChannel
from sifa.organisations.models import Role

from .conftest import _client, _staff, id_number, lawyer_form

CONSENT = consents.current(consents.REGISTER_ID_NUMBER).version  # §29, read at the window

API = "/api/v1/applications"


def _body(world, **extra) -> dict:
    return {"entry": world["entry"].implementation_code, "form_data": lawyer_form(), **extra}


def test_agent_needs_a_mandate_for_the_item(world):
    principal = world["citizen"]
    agent_api = world["other_api"]
    refused = agent_api.post(
        f"{API}/drafts/", _body(world, on_behalf_of=str(principal.public_id)), format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "application.no_mandate"
    today = dt.date.today()
    Mandate.objects.create(
        principal=principal,
        agent=world["other"],
        scope=[world["entry"].item.basic_code],
        valid_from=today,
        valid_until=today + dt.timedelta(days=30),
        scope_path=principal.scope_path,
    )
    response = agent_api.post(
        f"{API}/drafts/", _body(world, on_behalf_of=str(principal.public_id)), format="json"
    )
    assert response.status_code == 201, response.json()
    app = Application.objects.get(pk=response.json()["id"])
    assert (app.applicant, app.agent, app.channel) == (principal, world["other"], SubmissionChannel.AGENT)
    # The principal sees the application the agent started.
    assert world["api"].get(f"{API}/{app.pk}/").status_code == 200


def test_window_clerk_registers_a_walk_in_applicant_by_id_number(world, django_user_model):
    town_clerk = _staff(django_user_model, "town-clerk", world["orgs"]["xh_town"])
    walk_in = {"name": "王五", "id_number": id_number("33010619700202001"), "id_number_consent": CONSENT}
    response = _client(town_clerk).post(f"{API}/drafts/", _body(world, applicant=walk_in), format="json")
    assert response.status_code == 201, response.json()
    app = Application.objects.get(pk=response.json()["id"])
    assert app.channel == SubmissionChannel.WINDOW and app.applicant is None
    assert app.applicant_person.name == "王五"
    again = _client(town_clerk).post(f"{API}/drafts/", _body(world, applicant=walk_in), format="json")
    assert Application.objects.get(pk=again.json()["id"]).applicant_person == app.applicant_person


def test_clerk_in_another_province_cannot_take_the_walk_in(world):
    walk_in = {"name": "王五", "id_number": id_number("33010619700202001"), "id_number_consent": CONSENT}
    response = world["elsewhere_api"].post(f"{API}/drafts/", _body(world, applicant=walk_in), format="json")
    assert response.status_code == 403


def test_reviewer_is_not_a_window_clerk_for_findings(world, django_user_model):
    reviewer = _staff(django_user_model, "hz-reviewer", world["orgs"]["hz"], role=Role.REVIEWER)
    draft = world["api"].post(f"{API}/drafts/", _body(world), format="json").json()
    assert _client(reviewer).get(f"{API}/{draft['id']}/findings/").status_code == 404
