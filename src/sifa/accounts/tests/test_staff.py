"""Staff accounts and 三员分立 (等保 2.0: system, security and audit administrators are separate people)."""

import pytest
from django.db import IntegrityError, transaction

from sifa.accounts import services
from sifa.accounts.services import staff as staff_services
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.organisations.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_create_staff_with_roles_and_scope(tree):
    user = factories.staff(tree.county, Role.WINDOW_CLERK, Role.REVIEWER, username="wang")
    assert user.kind == "staff" and user.scope_path == tree.county.path
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
        "window_clerk",
        "reviewer",
    }
    assert AuditEvent.objects.filter(action="account.create_staff", object_id=str(user.public_id)).exists()


def test_second_separated_admin_role_is_refused_by_the_service(tree):
    admin = factories.staff(tree.province, Role.SYSTEM_ADMIN)
    with pytest.raises(ServiceError) as excinfo:
        services.grant_role(admin, tree.province, Role.AUDIT_ADMIN)
    assert (excinfo.value.code, excinfo.value.status) == ("role.separation_of_duties", 409)
    assert "三员分立" in excinfo.value.message
    services.grant_role(admin, tree.province, Role.SUPERVISOR)  # ordinary roles are fine


def test_creating_staff_with_two_separated_roles_is_refused(tree):
    with pytest.raises(ServiceError) as excinfo:
        services.create_staff(
            username="both",
            display_name="某",
            password=factories.PASSWORD,
            memberships=[(tree.province, Role.SYSTEM_ADMIN), (tree.city, Role.SECURITY_ADMIN)],
        )
    assert excinfo.value.errors[0]["code"] == "role.separation_of_duties"


def test_database_constraint_refuses_a_second_separated_role(tree):
    admin = factories.staff(tree.province, Role.SECURITY_ADMIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=admin, organisation=tree.city, role=Role.AUDIT_ADMIN)


def test_a_race_past_the_service_check_becomes_the_same_409(tree, monkeypatch):
    admin = factories.staff(tree.province, Role.SYSTEM_ADMIN)
    # Simulate the other request committing between our check and our insert.
    monkeypatch.setattr(staff_services, "separated_role_held", lambda user, role: None)
    with pytest.raises(ServiceError) as excinfo:
        services.grant_role(admin, tree.city, Role.AUDIT_ADMIN)
    assert (excinfo.value.code, excinfo.value.status) == ("role.separation_of_duties", 409)
    assert Membership.objects.filter(user=admin).count() == 1


def test_duplicate_grant_is_a_conflict(tree):
    user = factories.staff(tree.county, Role.REVIEWER)
    with pytest.raises(ServiceError) as excinfo:
        services.grant_role(user, tree.county, Role.REVIEWER)
    assert excinfo.value.code == "role.duplicate"


def test_only_a_system_admin_over_the_organisation_grants_roles(tree):
    sysadmin = factories.staff(tree.city, Role.SYSTEM_ADMIN)
    clerk = factories.staff(tree.county, Role.WINDOW_CLERK)
    services.grant_role(clerk, tree.county, Role.REVIEWER, by=sysadmin)
    with pytest.raises(ServiceError) as excinfo:
        services.grant_role(clerk, tree.province, Role.REVIEWER, by=sysadmin)
    assert excinfo.value.status == 403
    with pytest.raises(ServiceError):
        services.grant_role(clerk, tree.county, Role.DECISION_MAKER, by=clerk)


def test_revoke_role(tree):
    user = factories.staff(tree.county, Role.REVIEWER, Role.WINDOW_CLERK)
    services.revoke_role(user, tree.county, Role.REVIEWER)
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["window_clerk"]
    with pytest.raises(ServiceError) as excinfo:
        services.revoke_role(user, tree.county, Role.REVIEWER)
    assert excinfo.value.status == 404


def test_bad_staff_input_is_reported_together(tree):
    with pytest.raises(ServiceError) as excinfo:
        services.create_staff(
            username="1x", display_name="", password="123", memberships=[(tree.county, "boss")]
        )
    assert {e["field"] for e in excinfo.value.errors} == {
        "username",
        "display_name",
        "password",
        "memberships",
    }
