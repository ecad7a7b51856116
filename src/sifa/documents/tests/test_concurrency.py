"""Document numbers stay unique and gap-free when several workers issue at once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from sifa.documents.models import Document, DocumentKind
from sifa.documents.services import issue_document
from sifa.documents.tests.test_services import CONTEXTS

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
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for _ in range(PER_WORKER):
                issue_document(
                    DocumentKind.ACCEPTANCE_NOTICE, organisation=orgs["county"],
                    context=CONTEXTS[DocumentKind.ACCEPTANCE_NOTICE],
                )  # fmt: skip
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, WORKERS * PER_WORKER + 1))
    assert len(set(Document.objects.values_list("number", flat=True))) == WORKERS * PER_WORKER
