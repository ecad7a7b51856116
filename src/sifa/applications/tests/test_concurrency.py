"""Concurrent retries of one create with one Idempotency-Key (PostgreSQL: real row locks)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from sifa.applications.models import Application
from sifa.applications.services import idempotent, start_draft, submit
from sifa.testing.concurrency import run_together

from .conftest import lawyer_form

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_make_one_application(monkeypatch):
    from sifa.applications.onceonly import Found, registry
    from sifa.catalogue.models import ImplementationEntry
    from sifa.catalogue.services import generate_entries, load_items

    from .conftest import LAWYER_FULL_TIME, _person, build_tree

    orgs = build_tree()
    generate_entries(load_items())
    citizen = _person("张三", "110101199003077774", "13800000009")
    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
    # Every material comes from once-only sources, so the one-call create can succeed.
    found = Found(
        provenance="partner",
        source_reference="test",
        source_label="公安部门共享数据",
        answer_id="GA-TEST-1",
        answered_at=timezone.now(),
    )
    monkeypatch.setattr(registry, "lookup_with_notice", lambda application, material, **_: (found, None))
    monkeypatch.setattr(
        registry, "lookup_all", lambda application, materials, **_: {m.pk: (found, None) for m in materials}
    )
    payload = {"entry": entry.implementation_code, "form_data": lawyer_form(id_number="110101199003077774")}

    def attempt(_index: int):
        def run():
            app, code = submit(
                start_draft(entry, actor=citizen, form_data=payload["form_data"]), actor=citizen
            )
            return 201, {"number": app.number, "query_code": code}

        return idempotent(user=citizen, key="k", scope="applications.create", payload=payload, run=run)

    answers = run_together(attempt, 10)
    assert len({body["number"] for _status, body in answers}) == 1
    assert Application.objects.count() == 1
