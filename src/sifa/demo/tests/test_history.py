"""The demo's last month (``sifa.demo.history``): a fresh demo has 杭州市司法局's walk-in cases closed
in the month before, run through the services under a controlled clock, so ``load_check`` makes the
random check with its finding at once; their seals, signatures and licences verify, the audit chain
holds, the 绩效考核 of that month counts them, and a second run adds nothing. Loaded on a day of
January, they close in December of the year before.

The keys are made as development makes them on first use (valid from well before), in directories
of the test's own; with the keys of the test run (valid from when the run started) the history is
left out and the loader says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import _media  # noqa: F401  (fixture)
from sifa.audit.chain import verify_chain
from sifa.core.signing import KeyRing, default_keyring
from sifa.demo.history import PAST, load_history
from sifa.demo.inspections import FINDING, load_check
from sifa.documents.ca import SealAuthority, default_authority
from sifa.documents.models import Document
from sifa.documents.sealing import verify_sealed_pdf
from sifa.indicators import selectors as indicators
from sifa.inspections.models import RandomCheck, SampledCase
from sifa.inspections.tests.conftest import _world, world  # noqa: F401  (fixtures)
from sifa.licences.models import Licence
from sifa.testing.clock import travel

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=40)]


@contextmanager
def development_keys(tmp_path) -> Iterator[None]:
    """A signing key and seal CA made now as development makes them on first use."""
    signing, seals = tmp_path / "signing", tmp_path / "seals"
    KeyRing(signing, generate=True, algorithm=settings.SIGNING_ALGORITHM).signer()
    SealAuthority(seals, generate=True).ca_certificate()
    previous = settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR
    settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR = str(signing), str(seals)
    default_keyring.cache_clear()
    default_authority.cache_clear()
    try:
        yield
    finally:
        settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR = previous
        default_keyring.cache_clear()
        default_authority.cache_clear()


def month_of(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m}"


def check_history(world, period: str) -> None:  # noqa: F811
    history = load_history()
    assert (history.month, history.made, history.skipped) == (period, len(PAST), "")
    statuses = sorted(a.status for a in history.cases)
    assert statuses == sorted([ApplicationStatus.DELIVERED] * 3 + [ApplicationStatus.NOT_ACCEPTED])
    for application in history.cases:
        assert application.channel == "window" and not application.is_mock
        assert {month_of(application.submitted_at), month_of(application.closed_at)} == {period}
        assert application.number[8:14] == period.replace("-", "")  # SF + region + the day filed

    # The documents are sealed and signed on their days, and verify now.
    documents = Document.objects.filter(related_id__in=[a.number for a in history.cases])
    assert documents.count() == 3 * 2 + 1  # 受理通知书 + 准予许可决定书 each; one 不予受理通知书
    for document in documents:
        assert month_of(document.created_at) == period
        with default_storage.open(document.storage_key) as handle:
            result = verify_sealed_pdf(handle.read(), bytes(document.sm2_signature), document.sm2_key_id)
        assert result.valid, result.errors
    licences = Licence.objects.filter(application__in=history.cases)
    assert licences.count() == 3
    for licence in licences:
        assert f"{licence.issue_date:%Y-%m}" == period
        answer = APIClient().get(f"/api/v1/licences/verify/{licence.identifier}/").json()
        assert answer["authentic"] is True and answer["status"] == "valid", answer
    assert verify_chain(anchors=[]).ok

    # The random check of a fresh demo: last month, with its finding on the refused case if drawn.
    check = load_check()
    assert check is not None and (check.period, check.seed) == (period, f"demo-{period}")
    assert (check.candidate_count, check.cases.count()) == (4, 3)
    [checked] = SampledCase.objects.filter(random_check=check, checked_at__isnull=False)
    assert checked.findings == FINDING and checked.result == "issues"
    drawn = {c.application.status for c in check.cases.select_related("application")}
    if ApplicationStatus.NOT_ACCEPTED in drawn:
        assert checked.application.status == ApplicationStatus.NOT_ACCEPTED
    figures = indicators.public_figures(world["orgs"]["hz"].pk, period)
    assert (figures.received, figures.delivered, figures.not_accepted) == (4, 3, 1)
    assert (figures.checks_done, figures.checks_with_issues) == (1, 1)

    # Again: nothing new.
    again = load_history()
    assert again.made == 0 and {a.pk for a in again.cases} == {a.pk for a in history.cases}
    assert Application.objects.filter(entry__organisation=world["orgs"]["hz"]).count() == 4
    assert load_check().pk == check.pk and RandomCheck.objects.count() == 1


def test_a_fresh_demo_has_last_months_cases_and_its_random_check(world, tmp_path):  # noqa: F811
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    with development_keys(tmp_path):
        check_history(world, f"{last_month:%Y-%m}")


def test_a_demo_loaded_in_january_has_decembers_cases(world, tmp_path):  # noqa: F811
    with travel(dt.date(2026, 1, 5)), development_keys(tmp_path):
        check_history(world, "2025-12")


def test_keys_that_start_after_last_month_leave_the_history_out(world):  # noqa: F811
    history = load_history()  # the keys of the test run, valid from when it started
    assert history.made == 0 and not history.cases and "起有效" in history.skipped
    assert load_check() is None
