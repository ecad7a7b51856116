"""Document numbers stay unique and gap-free when several workers issue at once (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from sifa.documents.models import Document, DocumentKind
from sifa.documents.services import issue_document
from sifa.documents.tests.test_services import CONTEXTS
from sifa.testing.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under concurrency need PostgreSQL"
    ),
]

WORKERS = 4
PER_WORKER = 2


def test_concurrent_issuers_get_unique_sequential_numbers(orgs):
    def worker(_index: int) -> None:
        for _ in range(PER_WORKER):
            issue_document(
                DocumentKind.ACCEPTANCE_NOTICE, organisation=orgs["county"],
                context=CONTEXTS[DocumentKind.ACCEPTANCE_NOTICE],
            )  # fmt: skip

    run_together(worker, WORKERS)
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, WORKERS * PER_WORKER + 1))
    assert len(set(Document.objects.values_list("number", flat=True))) == WORKERS * PER_WORKER
