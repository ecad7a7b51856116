"""The world the service journeys share: the applications app's tree, catalogue, citizen and API
client (``world``), and the 2025–2026 working-day calendar (``calendar``)."""

from __future__ import annotations

import pytest

from sifa.applications.tests.conftest import cat, loaded, world  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar


@pytest.fixture
def calendar(db):
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield
    db_calendar.forget()


@pytest.fixture(scope="session")
def probe(django_db_setup, django_db_blocker):
    """The probes' demo world (``tests/probe_world.py``), built once per test process in a copy of
    the test database; a module takes it with ``probe.use()`` (docs/testing.md, "One world, built
    once")."""
    from sifa.testing.prepared import PreparedWorld
    from tests import probe_world

    prepared = PreparedWorld("probe", probe_world.build)
    yield prepared
    with django_db_blocker.unblock():
        prepared.drop()


@pytest.fixture(scope="module")
def probe_world_module(probe, django_db_blocker):
    """The probes' world for a module, in a transaction rolled back at the end of the module."""
    from sifa.core import limits

    with django_db_blocker.unblock():
        try:
            with probe.use() as world:
                yield world
        finally:
            db_calendar.forget()
            limits.clear()


@pytest.fixture(autouse=True)
def _journey_documents():
    """Each test starts with no documents issued before a 送达 left to report
    (``service_journeys.issue_documents``): a rolled-back test's row ids may come again."""
    from tests import service_journeys

    service_journeys._issued_for_delivery.clear()
    yield
    service_journeys._issued_for_delivery.clear()
