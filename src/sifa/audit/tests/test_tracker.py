"""The data tracker (我的数据使用记录): record_disclosure rows, their visibility to the subject
(public, restricted, delayed until a date; security.md §1.2), and what the subject reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from sifa.audit.models import AccessKind, PersonalDataAccess, Visibility
from sifa.audit.selectors import access_log, my_access_log
from sifa.audit.services import record_disclosure
from sifa.organisations.scope import actor_for

pytestmark = pytest.mark.django_db


def disclose(citizen, orgs, **overrides) -> PersonalDataAccess:
    fields = {
        "subject": citizen,
        "subject_ref": "P-1",
        "object_type": "accounts.NaturalPerson",
        "receiver": "杭州市公安局",
        "purpose": "核验申请人身份（律师执业许可）",
        "legal_basis": "《个人信息保护法》第十三条；申请人单独同意",
        "organisation": orgs["hangzhou"],
        "scope_path": "/1/2/3/",
        "case_number": "草稿 1a2b3c4d",
        "message_id": "6f1c2d3e-0000-4000-8000-000000000001",
        **overrides,
    }
    return record_disclosure(**fields)


def test_a_public_disclosure_is_listed_to_the_subject_with_its_exchange_fields(citizen, orgs):
    disclose(citizen, orgs)
    client = APIClient()
    client.force_authenticate(citizen)
    row = client.get("/api/v1/me/access-log/").json()["results"][0]
    assert row["kind"] == "disclosure" and row["kind_label"] == "向其他部门提供或核验"
    assert row["receiver"] == "杭州市公安局" and row["case_number"] == "草稿 1a2b3c4d"
    assert row["message_id"].startswith("6f1c2d3e") and row["reader_name"] == "系统自动核验"
    assert row["reader_organisation"] == orgs["hangzhou"].name and row["visibility"] == "public"


def test_restricted_rows_are_never_listed_to_the_subject_but_to_staff_in_scope(citizen, orgs, reviewer):
    disclose(citizen, orgs, visibility=Visibility.RESTRICTED, kind=AccessKind.PARTNER_QUERY)
    assert not my_access_log(citizen).exists()
    assert access_log(actor_for(reviewer)).filter(visibility=Visibility.RESTRICTED).count() == 1


def test_a_delayed_row_appears_on_its_date(citizen, orgs):
    later = timezone.now() + dt.timedelta(days=30)
    disclose(citizen, orgs, visibility=Visibility.DELAYED, visible_from=later)
    assert not my_access_log(citizen).exists()
    assert my_access_log(citizen, now=later + dt.timedelta(seconds=1)).count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"purpose": " "},
        {"receiver": ""},
        {"legal_basis": ""},
        {"visibility": Visibility.DELAYED},
        {"visible_from": timezone.now()},
        {"kind": AccessKind.READ},
        {"visibility": "secret"},
    ],
)
def test_a_disclosure_needs_its_purpose_receiver_basis_and_a_coherent_visibility(citizen, orgs, overrides):
    with pytest.raises(ValueError):
        disclose(citizen, orgs, **overrides)


def test_tracker_rows_cannot_be_changed(citizen, orgs):
    row = disclose(citizen, orgs)
    with pytest.raises(DatabaseError), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).update(receiver="别的机关")
