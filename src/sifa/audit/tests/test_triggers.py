"""The database itself refuses to change or delete audit events (ORM, raw SQL, admin)."""

from __future__ import annotations

import sqlite3

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from sifa.audit import services
from sifa.audit.chain import verify_chain
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.audit.tests.conftest import make_chain, raw

pytestmark = pytest.mark.smoke


def refused(action) -> str:
    with pytest.raises(DatabaseError) as excinfo, transaction.atomic():
        action()
    return str(excinfo.value)


@pytest.mark.django_db
def test_orm_updates_and_deletes_are_refused():
    make_chain(3)
    event = AuditEvent.objects.get(seq=2)
    assert "禁止修改" in refused(lambda: AuditEvent.objects.filter(seq=2).update(result="denied"))
    event.result = "denied"
    assert "禁止修改" in refused(event.save)
    assert "禁止删除" in refused(lambda: AuditEvent.objects.get(seq=2).delete())
    assert "禁止删除" in refused(lambda: AuditEvent.objects.all().delete())
    assert AuditEvent.objects.count() == 3
    assert verify_chain().ok


@pytest.mark.django_db
def test_raw_sql_updates_and_deletes_are_refused():
    make_chain(3)
    assert "禁止修改" in refused(lambda: raw("UPDATE audit_auditevent SET action = 'x' WHERE seq = 1"))
    assert "禁止删除" in refused(lambda: raw("DELETE FROM audit_auditevent WHERE seq = 3"))
    assert AuditEvent.objects.count() == 3
    assert services.record("still.appendable").seq == 4


@pytest.mark.django_db
def test_access_log_rows_cannot_be_rewritten(reviewer, citizen):
    services.record_access(
        reader=reviewer,
        subject=citizen,
        subject_ref="P1",
        object_type="accounts.User",
        purpose="核验",
        scope_path="/1/",
    )
    assert "禁止修改" in refused(lambda: PersonalDataAccess.objects.update(purpose="无"))


@pytest.mark.django_db
def test_the_admin_is_read_only(auditor_zj):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = auditor_zj
    model_admin = site._registry[AuditEvent]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.django_db
def test_the_admin_hides_the_trail_from_other_administrators(reviewer):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = reviewer
    assert not site._registry[AuditEvent].has_view_permission(request)


@pytest.mark.django_db(transaction=True)
def test_flush_may_empty_the_table_but_nothing_else_may():
    make_chain(2)
    assert "禁止删除" in refused(lambda: AuditEvent.objects.all().delete())
    if connection.vendor == "postgresql":
        assert "禁止删除" in refused(lambda: raw("TRUNCATE audit_auditevent"))
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    # The switch is closed again after flush.
    make_chain(1)
    assert "禁止删除" in refused(lambda: AuditEvent.objects.all().delete())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_outside_the_application_cannot_delete_either():
    """A careless admin with the sqlite3 shell: the purge function does not exist there."""
    make_chain(1)
    shell = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="sifa_audit_purge_allowed"):
            shell.execute("DELETE FROM audit_auditevent")
        with pytest.raises(sqlite3.IntegrityError, match="禁止修改"):
            shell.execute("UPDATE audit_auditevent SET action = 'x'")
    finally:
        shell.close()
    assert AuditEvent.objects.count() == 1
