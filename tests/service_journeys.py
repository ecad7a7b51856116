"""Shared steps of the submit-to-result journeys of the public-service items (no tests here).

A journey applies as a citizen through the public API (draft → materials → submit), lets the
automatic pre-review run at the commit (which starts the process), then drives the case with the
staff commands through ``/api/v1/cases/…``. The documents the commands owe wait (the test
transaction never commits, so no job runs) and :func:`issue_documents` issues them afterwards, at
the real time, as the worker would (a document sealed "before" the development seal certificate
existed would rightly not verify).
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from sifa import testing
from sifa.applications.tests.upload_corpus import make_pdf
from sifa.catalogue.models import ImplementationEntry
from sifa.organisations.models import Organisation
from sifa.testing import api_client
from sifa.testing.cases import issue_pending_documents
from sifa.testing.clock import SHANGHAI, travel, working_days_after  # noqa: F401  (used by the journeys)
from sifa.workflow.models import CaseDocument, CaseDocumentStatus, WorkItem, WorkItemStatus

API = "/api/v1/applications"
PDF = make_pdf()
_keys = itertools.count(1)


client = api_client


def staff(django_user_model, username: str, organisation: Organisation, *roles: str) -> APIClient:
    return api_client(testing.staff(username, organisation, *roles))


def entry(item_name: str, organisation: Organisation) -> ImplementationEntry:
    return ImplementationEntry.objects.get(item__name=item_name, organisation=organisation)


def apply(
    api: APIClient,
    capture,
    item_entry: ImplementationEntry,
    form: dict[str, Any],
    situations: dict[str, str] | None = None,
) -> str:
    """Draft, upload every requested required material, submit; returns the 办件编号. The
    pre-review runs at the commit and, finding nothing, starts the process."""
    response = api.post(
        f"{API}/drafts/",
        {"entry": item_entry.implementation_code, "form_data": form, "situation_answers": situations or {}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    draft = response.json()
    for material in draft["materials"]:
        if material["requested"] and material["necessity"] == "required":
            upload = {
                "material": str(material["material"]),
                "file": SimpleUploadedFile("材料.pdf", PDF, "application/pdf"),
            }
            uploaded = api.post(f"{API}/{draft['id']}/materials/", upload, format="multipart")
            assert uploaded.status_code == 201, uploaded.json()
    with capture(execute=True):
        submitted = api.post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY=f"journey-{next(_keys)}")
    assert submitted.status_code == 201, submitted.json()
    return submitted.json()["number"]


_issued_for_delivery: list[int] = []
"""Documents :func:`command` issued before a 送达, for the next :func:`issue_documents` to report."""


def command(api: APIClient, number: str, name: str, expect: int = 200, **body) -> dict:
    if name == "deliver":  # 送达 waits for the decision's documents, which the worker has issued by now
        _issued_for_delivery.extend(issue_pending_documents(number))
    response = api.post(f"/api/v1/cases/{number}/commands/{name}/", body, format="json")
    assert response.status_code == expect, (name, response.json())
    return response.json()


def open_items(number: str) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(application__number=number, status=WorkItemStatus.OPEN).order_by("id")
    )


def only_open(number: str) -> WorkItem:
    [item] = open_items(number)
    return item


def issue_documents() -> list[CaseDocument]:
    """Issue every owed document now, as the worker does after the commands' commits (the test
    transaction never commits, so their on-commit jobs never ran); returns the rows issued."""
    from sifa.workflow.services import issue_owed

    rows = list(CaseDocument.objects.filter(status=CaseDocumentStatus.PENDING).order_by("id"))
    for row in rows:
        issue_owed(row.pk)
    # With those :func:`command` issued before a 送达 (which waits for them) since the last call.
    pks = [*_issued_for_delivery, *(r.pk for r in rows)]
    _issued_for_delivery.clear()
    issued = list(CaseDocument.objects.filter(pk__in=pks).order_by("id").select_related("document"))
    failed = [(r.kind, r.last_error) for r in issued if r.status != CaseDocumentStatus.ISSUED]
    assert not failed, failed
    return issued
