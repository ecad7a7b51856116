"""The guide page's read model (``GuidePage``, docs/catalogue.md "Guide read model"): the page
without 情形 answers is one stored row and one query, byte for byte the page rendered from scratch,
and every change that shows on a guide — a new version, a withdrawal, the entry, the item, an
organisation's name, a fee, the law library, the settings the body reads — is on the next visit."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from sifa.catalogue import services
from sifa.catalogue.models import CatalogueItem, GuidePage, ImplementationEntry
from sifa.catalogue.services import guide_pages
from sifa.organisations.models import Organisation

LAWYER_FULL_TIME = "000100001001"


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0  # the public page cache would hide the read model


def _entry() -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("item", "organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation__name="杭州市司法局"
    )


def _url() -> str:
    return f"/guides/{_entry().implementation_code}/"


def _page(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200, path
    return re.sub(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"', "csrf", response.content.decode())


def _from_scratch(path: str) -> str:
    """The same page through the full build (a query string takes the answers path; the 登录 link
    and the 关怀模式 switch carry the path they came from)."""
    page = _page(f"{path}?unrelated=1")
    return page.replace("%3Funrelated%3D1", "").replace("?unrelated=1", "")


def test_a_stored_page_is_one_query_and_the_page_rendered_from_scratch(cat, django_assert_num_queries):
    url = _url()
    assert not GuidePage.objects.exists()  # entries made after the publish: written on first visit
    first = _page(url)
    row = GuidePage.objects.get(entry=_entry())
    assert row.fingerprint == guide_pages.fingerprint() and "申请材料目录" in row.body
    with django_assert_num_queries(1):
        again = _page(url)
    assert first == again == _from_scratch(url)
    code = _entry().implementation_code
    assert _page(url.lower()).replace(code.lower(), code) == first  # any case, as the full path allows


def test_publishing_writes_the_rows_in_its_transaction(cat, django_assert_num_queries):
    url = _url()
    _page(url)
    draft = services.new_draft(_entry().item, system=True)
    services.update_draft(draft, {"scope": "第二版的适用范围"}, system=True)
    services.publish_version(draft, system=True)
    row = GuidePage.objects.get(entry=_entry())
    assert row.version_id == draft.pk and "第二版的适用范围" in row.body
    assert (
        GuidePage.objects.filter(entry__item=draft.item).count()
        == ImplementationEntry.objects.filter(item=draft.item).count()
    )
    with django_assert_num_queries(1):
        page = _page(url)
    assert "第二版的适用范围" in page and "第2版" in page and page == _from_scratch(url)


def test_a_fee_of_a_new_version_is_on_the_page(cat):
    url = _url()
    assert "不收费" in _page(url)
    draft = services.new_draft(_entry().item, system=True)
    services.update_draft(draft, {"is_charged": True}, system=True)
    services.add_child(
        draft, "fee", {"name": "证书工本费", "standard": "每证10元", "basis": "某收费文件"}, system=True
    )
    services.publish_version(draft, system=True)
    page = _page(url)
    assert "证书工本费：每证10元" in page and page == _from_scratch(url)


def test_a_withdrawn_item_loses_its_stored_pages(cat):
    url = _url()
    _page(url)
    services.withdraw_version(services.current_version(_entry().item), system=True)
    assert not GuidePage.objects.filter(entry__item__basic_code=LAWYER_FULL_TIME).exists()
    response = Client().get(url)
    assert response.status_code == 404 and "停止办理" in response.content.decode()


def test_discarding_a_draft_keeps_the_live_page(cat):
    url = _url()
    before = _page(url)
    draft = services.new_draft(_entry().item, system=True)
    services.update_draft(draft, {"scope": "草稿中的适用范围"}, system=True)
    services.withdraw_version(draft, system=True)
    assert _page(url) == before and "草稿中的适用范围" not in before


def test_a_changed_entry_is_rendered_again(cat):
    url = _url()
    _page(url)
    ImplementationEntry.objects.filter(pk=_entry().pk).update(
        place="杭州市西湖区新地址1号", updated_at=timezone.now()
    )
    page = _page(url)
    assert "杭州市西湖区新地址1号" in page and page == _from_scratch(url)


def test_a_changed_item_is_rendered_again(cat):
    url = _url()
    _page(url)
    CatalogueItem.objects.filter(basic_code=LAWYER_FULL_TIME).update(
        name="律师执业许可（专职律师执业，新名称）", updated_at=timezone.now()
    )
    assert "律师执业许可（专职律师执业，新名称）" in _page(url)


@pytest.mark.parametrize("which", ["organisation", "accepting_organisation", "deciding_organisation"])
def test_a_renamed_organisation_is_rendered_again(cat, which):
    """The tree sync renames organisations with ``bulk_update`` (no catalogue command runs): the
    stored names are compared on every read."""
    url = _url()
    _page(url)
    entry = _entry()
    org = getattr(entry, which)
    Organisation.objects.filter(pk=org.pk).update(name=f"{org.name}（更名）")
    page = _page(url)
    assert f"{org.name}（更名）" in page and page == _from_scratch(url)


def test_importing_the_law_library_renders_the_links_again(cat):
    url = _url()
    before = _page(url)
    links = 'href="/laws/'  # the header's 法律法规库 is one; the guide's citations are plain text
    from sifa.laws.services import import_sample

    import_sample()
    after = _page(url)
    assert after.count(links) > before.count(links) and after == _from_scratch(url)
    assert GuidePage.objects.get(entry=_entry()).library_version == guide_pages.library_version() > 0


def test_a_setting_the_body_reads_renders_it_again(cat, settings):
    url = _url()
    settings.PUBLIC_URL = "http://sifa.example.test"
    assert "http://sifa.example.test" in _page(url)
    settings.PUBLIC_URL = "http://other.example.test"
    page = _page(url)
    assert "http://other.example.test" in page and "sifa.example.test" not in page


def test_a_row_stored_from_older_data_is_never_served(cat):
    """A visitor rendering while a publish commits may store the old guide; its version no longer
    matches the entry's, so the next visit renders the new one."""
    url = _url()
    _page(url)
    old = GuidePage.objects.get(entry=_entry())
    draft = services.new_draft(_entry().item, system=True)
    services.update_draft(draft, {"scope": "第二版的适用范围"}, system=True)
    services.publish_version(draft, system=True)
    GuidePage.objects.filter(pk=old.pk).update(version_id=old.version_id, body=old.body, head=old.head)
    assert "第二版的适用范围" in _page(url)


def test_answers_take_the_full_path_and_the_404s_stay(cat):
    url = _url()
    narrowed = Client().get(url, {"practice_type": "x"})
    assert narrowed.status_code in (200, 400)
    assert Client().get("/guides/11330100J33010000E3000100009999/").status_code == 404
    assert Client().get("/guides/not-a-code/").status_code == 404


def test_the_stored_body_is_kept_in_the_row_compressed_with_lz4_on_postgresql(cat):
    """PostgreSQL: the body is stored compressed in the row (``STORAGE MAIN``), with LZ4 where the
    server has it (migration 0009), not in the TOAST table with pglz — the same text read back."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("column storage: PostgreSQL")
    url = _url()
    first = _page(url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage, attcompression FROM pg_attribute "
            "WHERE attrelid = 'catalogue_guidepage'::regclass AND attname = 'body'"
        )
        storage, compression = cursor.fetchone()
        cursor.execute(
            "SELECT pg_column_compression(body), pg_column_size(body) < octet_length(body) "
            "FROM catalogue_guidepage WHERE entry_id = %s",
            [_entry().pk],
        )
        stored_with, compressed = cursor.fetchone()
    assert storage == "m" and compressed
    assert compression in ("l", "") and stored_with == ("lz4" if compression == "l" else "pglz")
    assert _page(url) == first
