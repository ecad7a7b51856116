"""The staff case view of a mediation (委员会, mediators, sessions, agreement or termination) from
plain rows is the serializer's, byte for byte: the mediation journeys run again with every view the
API builds compared with ``CaseSerializer``'s (``sifa.workflow.tests.test_caseview``)."""

from __future__ import annotations

import pytest

from sifa.applications.tests.conftest import _media  # noqa: F401  (autouse: uploads in the test's own folder)
from sifa.workflow.tests.test_caseview import install_check
from tests.test_journey_mediation import (  # noqa: F401  (run again here, every view checked)
    office,
    test_mediation_ends_in_a_sealed_agreement_and_the_judicial_confirmation_reminders,
    test_mediation_without_agreement_ends_in_a_termination_record_with_the_remedies,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def checked(monkeypatch):
    seen = install_check(monkeypatch)
    yield seen
    assert any(v["mediation"] and v["mediation"]["mediators"] for v in seen)  # the mediation was compared
