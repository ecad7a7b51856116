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
