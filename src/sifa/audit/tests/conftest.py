"""Shared fixtures: a small organisation tree, staff with roles, a citizen, and tamper helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from sifa import testing
from sifa.accounts.models import User
from sifa.audit import services, triggers
from sifa.audit.models import AuditEvent
from sifa.audit.subjects import AuditSubject
from sifa.organisations.models import Organisation, Role
from sifa.testing import CitizenFactory, tree


@pytest.fixture(autouse=True)
def _anchors_in_tmp(settings, tmp_path):
    """Anchor files go to the test's own folder, never to the developer's var/."""
    settings.VAR_DIR = tmp_path


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """Play the attacker with database access: drop the guard triggers, then put them back."""
    triggers.uninstall(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def case(number: str) -> AuditSubject:
    """An application named by its number, without building one."""
    return AuditSubject("applications.Application", number)


def account(ref: str) -> AuditSubject:
    """An account named by its public id, without building one."""
    return AuditSubject("accounts.User", ref)


def make_chain(n: int) -> list[AuditEvent]:
    return [services.record("test.step", subject=case(f"C{i}"), detail={"step": i}) for i in range(1, n + 1)]


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    """The tree at literal paths (the tests speak of ``/1/2/3/``)."""
    paths = {"ministry": "/1/", "zj": "/1/2/", "hz": "/1/2/3/", "js": "/1/4/"}
    o = tree(*paths, **{key: {"path": path} for key, path in paths.items()})
    return {"ministry": o["ministry"], "zhejiang": o["zj"], "hangzhou": o["hz"], "jiangsu": o["js"]}


def staff(username: str, organisation: Organisation, role: str, display_name: str = "") -> User:
    return testing.staff(username, organisation, role, display_name=display_name, scope_path="")


@pytest.fixture
def auditor_zj(orgs) -> User:
    return staff("auditor-zj", orgs["zhejiang"], Role.AUDIT_ADMIN, "审计员甲")


@pytest.fixture
def auditor_root(orgs) -> User:
    return staff("auditor-root", orgs["ministry"], Role.AUDIT_ADMIN, "审计员乙")


@pytest.fixture
def reviewer(orgs) -> User:
    return staff("reviewer-hz", orgs["hangzhou"], Role.REVIEWER, "王小明")


@pytest.fixture
def citizen(db) -> User:
    return CitizenFactory(username="citizen-1", scope_path="/1/2/3/")
