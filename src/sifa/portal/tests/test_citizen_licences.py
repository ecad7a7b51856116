"""我的空间 → 电子证照 and 文书, through the pages: list, sealed PDF download, 用证授权 with
confirmation and revocation, the use log, and the notices and decision letters — mine only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from sifa.documents.models import Document, DocumentKind
from sifa.licences import services as licence_services
from sifa.licences.models import Licence, LicenceType
from sifa.licences.tests.conftest import orgs, people, ring  # noqa: F401  (fixtures)

PDF_BYTES = b"%PDF-1.7\n% a stored rendition\n%%EOF\n"
PURPOSE = "办理律师事务所设立许可，核验律师执业证"


@pytest.fixture
def licence(people, orgs) -> Licence:  # noqa: F811
    licence = licence_services.issue_licence(
        LicenceType.objects.get(key="lawyer_licence"),
        people["citizen"],
        orgs["zj"],
        actor=None,
        with_pdf=False,
    )
    # A stored PDF without rendering one (the sealed rendition is tested in sifa.licences).
    key = default_storage.save(f"licences/test/{licence.pk}.pdf", ContentFile(PDF_BYTES))
    Licence.objects.filter(pk=licence.pk).update(pdf_storage_key=key, pdf_sm3="0" * 64)
    licence.refresh_from_db()
    return licence


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _until(days: int = 30) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_my_licences_list_number_status_validity_identifier_and_links(people, licence):  # noqa: F811
    page = _html(client_for(people["citizen"]).get("/me/licences/"))
    assert "律师执业证" in page and licence.number in page and licence.identifier in page
    assert "有效" in page and "长期" in page
    assert f'href="/me/licences/{licence.identifier}/pdf/"' in page
    assert f'href="/verify/{licence.identifier}"' in page
    assert f'href="/me/licences/{licence.identifier}/authorise/"' in page
    assert licence.identifier not in _html(client_for(people["other"]).get("/me/licences/"))
    # 我的空间 itself shows the newest licence.
    assert licence.number in _html(client_for(people["citizen"]).get("/me/"))


def test_the_holder_downloads_the_pdf_as_an_attachment_and_nobody_else_can(people, licence):  # noqa: F811
    url = f"/me/licences/{licence.identifier}/pdf/"
    response = client_for(people["citizen"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and response.content == PDF_BYTES
    other = client_for(people["other"]).get(url)
    assert other.status_code == 404 and "licence.not_found" in _html(other)
    malformed = client_for(people["citizen"]).get("/me/licences/1.2.156.nonsense/pdf/")
    assert malformed.status_code == 404 and "licence_id." in _html(malformed)
    assert Client().get(url).status_code == 302  # to the login page


def test_a_licence_without_its_pdf_yet_says_so(people, licence):  # noqa: F811
    Licence.objects.filter(pk=licence.pk).update(pdf_storage_key="")
    response = client_for(people["citizen"]).get(f"/me/licences/{licence.identifier}/pdf/")
    assert response.status_code == 404 and "licence.no_pdf" in _html(response)


def test_authorise_lists_every_problem_at_once_linked_to_the_fields(people, licence):  # noqa: F811
    url = f"/me/licences/{licence.identifier}/authorise/"
    client = client_for(people["citizen"])
    assert "用证授权" in _html(client.get(url))
    response = client.post(url, {"purpose": "", "valid_until": "2020-01-01"})
    page = _html(response)
    assert response.status_code == 400 and 'id="error-summary"' in page
    for anchor, message in (
        ("#f-grantee", "请选择授权给司法行政机关还是某一件办件"),
        ("#f-purpose", "请填写用证事由"),
        ("#f-valid_until", "授权截止日期不能早于今天"),
    ):
        assert f'<a href="{anchor}">{message}</a>' in page
    response = client.post(url, {"grantee": "organisation", "purpose": "x" * 201, "valid_until": _until(400)})
    page = _html(response)
    assert "请选择被授权的机关" in page and "不能超过200字" in page and "最长一年" in page
    response = client.post(url, {"grantee": "application", "purpose": PURPOSE, "valid_until": _until()})
    assert "请填写被授权的办件编号" in _html(response)
    assert not licence.authorisations.exists()


def test_grant_after_confirmation_then_the_use_shows_and_revoke(people, orgs, licence):  # noqa: F811
    client = client_for(people["citizen"])
    url = f"/me/licences/{licence.identifier}/authorise/"
    form = _html(client.get(url))
    assert f'<option value="{orgs["zj"].pk}">浙江省司法厅</option>' in form  # the issuer is suggested
    body = {"grantee": "organisation", "organisation": "", "uscc": orgs["hz"].uscc, "purpose": PURPOSE}
    body["valid_until"] = _until()
    confirm = client.post(url, body)
    page = _html(confirm)
    assert confirm.status_code == 200 and "确认用证授权" in page and "杭州市司法局" in page
    assert not licence.authorisations.exists()  # nothing happens before 确认授权
    back = _html(client.post(url, {**body, "edit": "1"}))
    assert f'value="{orgs["hz"].uscc}"' in back and PURPOSE in back
    done = client.post(url, {**body, "confirm": "1"}, follow=True)
    [grant] = licence.authorisations.all()
    assert grant.grantee_organisation == orgs["hz"] and grant.is_active()
    assert "用证授权已生效" in _html(done) and "杭州市司法局" in _html(done)

    # The authorised organisation uses the licence; the holder sees when, who and why.
    licence_services.record_use(
        licence, action="download_pdf", purpose=PURPOSE, user=people["hz_clerk"], organisation=orgs["hz"],
        authorisation=grant,
    )  # fmt: skip
    detail = _html(client.get(f"/me/licences/{licence.identifier}/"))
    uses = detail[detail.index('id="uses"') :]
    assert "杭州市司法局" in uses and "下载证照文件" in uses and PURPOSE in uses

    revoke_url = f"/me/licences/{licence.identifier}/authorisations/{grant.pk}/revoke/"
    assert f'href="{revoke_url}"' in detail
    assert "确定撤销这项用证授权吗" in _html(client.get(revoke_url))
    client.post(revoke_url)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert client_for(people["other"]).post(revoke_url).status_code == 404


def test_grant_to_an_unknown_organisation_or_application_lands_on_the_field(people, licence):  # noqa: F811
    client = client_for(people["citizen"])
    url = f"/me/licences/{licence.identifier}/authorise/"
    base = {"purpose": PURPOSE, "valid_until": _until(), "confirm": "1"}
    page = _html(client.post(url, {**base, "grantee": "organisation", "uscc": "91330106MA2XXXXXX1"}))
    assert '<a href="#f-uscc">' in page
    response = client.post(url, {**base, "grantee": "application", "application_number": "SF000"})
    assert response.status_code == 400
    assert '<a href="#f-application_number">被授权的办件不存在，请核对办件编号</a>' in _html(response)
    assert not licence.authorisations.exists()


def test_a_revoked_licence_cannot_be_authorised(people, licence):  # noqa: F811
    licence_services.revoke(licence, actor=None, reason="违法执业被吊销")
    client = client_for(people["citizen"])
    assert "已吊销" in _html(client.get("/me/licences/"))
    response = client.get(f"/me/licences/{licence.identifier}/authorise/")
    assert response.status_code == 409 and "licence.not_usable" in _html(response)


def _document(orgs, recipient, kind=DocumentKind.APPROVAL_DECISION, number="浙西司许〔2026〕1号"):  # noqa: F811
    key = default_storage.save("documents/test.pdf", ContentFile(PDF_BYTES))
    return Document.objects.create(
        kind=kind, title=DocumentKind(kind).label, number=number, year=2026, sequence=int(number.split("〕")[1].removesuffix("号")),
        organisation=orgs["zj"], recipient=recipient, related_type="application", related_id="SF1",
        storage_key=key, size=len(PDF_BYTES), sm3="0" * 64, sm2_signature=b"", sm2_key_id="k",
        seal_certificate_serial="01", scope_path=orgs["zj"].path,
    )  # fmt: skip


def test_my_documents_list_and_download_only_mine(people, orgs):  # noqa: F811
    mine = _document(orgs, people["citizen"])
    theirs = _document(orgs, people["other"], DocumentKind.ACCEPTANCE_NOTICE, "浙西司受〔2026〕2号")
    client = client_for(people["citizen"])
    page = _html(client.get("/me/documents/"))
    assert "准予行政许可决定书" in page and mine.number in page and theirs.number not in page
    assert re.search(rf'href="/me/documents/{mine.public_id}/pdf/"', page)
    assert "准予行政许可决定书" in _html(client.get("/me/"))
    response = client.get(f"/me/documents/{mine.public_id}/pdf/")
    assert response.status_code == 200 and response.content == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/me/documents/{theirs.public_id}/pdf/").status_code == 404
    assert client.get("/me/documents/not-a-uuid/pdf/").status_code == 404


def test_the_authorisation_hint_gives_the_last_day_allowed_not_a_fixed_date(people, licence):  # noqa: F811
    """In January 2027 “如 2026-12-31” would have been a day the form refuses."""
    import time_machine

    with time_machine.travel(
        dt.datetime(2027, 1, 15, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        page = _html(client_for(people["citizen"]).get(f"/me/licences/{licence.identifier}/authorise/"))
    last = (dt.date(2027, 1, 15) + dt.timedelta(days=licence_services.MAX_AUTHORISATION_DAYS)).isoformat()
    assert f"最长一年，即最晚 {last}" in page and f'max="{last}"' in page
    assert "2026-12-31" not in page
