"""The public list's read model (``ItemListing``, docs/catalogue.md "The list's read model"): the
list body served from it is byte for byte what DRF's ``ItemSerializer`` list gives for the same
URL (pages, filters, search with synonyms, errors), and every command that changes what an entry
shows rewrites it in its own transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework import generics
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.test import APIRequestFactory

from sifa.catalogue import services
from sifa.catalogue.api import ItemList
from sifa.catalogue.listing import listing_rows
from sifa.catalogue.models import CatalogueItem, ItemListing, ItemVersion, VersionStatus
from sifa.catalogue.services import listing as listing_services
from sifa.organisations.models import Organisation
from sifa.organisations.signals import organisations_renamed

LIST = "/api/v1/catalogue/items/"
LAWYER_FULL_TIME = "000100001001"

URLS = [
    "",
    "?page=2",
    "?page=last",
    "?page_size=5",
    "?page_size=5&page=3",
    "?page_size=5&page=last",
    "?page_size=200",
    "?page_size=500",
    "?page_size=0",
    "?page_size=abc",
    "?page=0",
    "?page=99",
    "?page=abc",
    "?page=1.0",
    "?q=律师",
    "?q=律师证",
    "?q=律师执业",
    "?q=公证&page_size=2",
    "?q=公证&page_size=2&page=2",
    "?q=法律援助",
    "?q=0001",
    "?q=",
    "?q=%20",
    "?q=不存在的事项名称",
    f"?q={'长' * 101}",
    "?type=01",
    "?type=10&page_size=3",
    "?type=99",
    "?level=3",
    "?level=5&type=01",
    "?level=9",
    "?topic=personal",
    "?topic=company",
    "?topic=bad",
    "?changed_since=2020-01-01",
    "?changed_since=2020-01-01T00:00:00%2B08:00&page_size=4&page=2",
    "?changed_since=2999-01-01",
    "?changed_since=yesterday",
    "?type=&level=&topic=&changed_since=",
    "?format=json",
]


class SerializerList(ItemList):
    """The list as DRF's ``ListModelMixin`` builds it: ``items()`` through ``ItemSerializer``."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    def list(self, request, *args, **kwargs):
        return generics.ListAPIView.list(self, request, *args, **kwargs)


def _reference(url: str, **headers: str):
    response = SerializerList.as_view()(APIRequestFactory().get(url, **headers))
    return response.render()


ROW_FIELDS = ("item_id", "basic_code", "name", "item_type", "exercise_levels", "topics", "updated_at", "body")


def _key(row: dict) -> str:
    return row["basic_code"]


def assert_current() -> None:
    """The read model is exactly what a rebuild from the items would write."""
    stored = sorted(ItemListing.objects.values(*ROW_FIELDS), key=_key)
    assert stored == sorted(listing_rows(CatalogueItem, ItemVersion), key=_key)


@pytest.fixture
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


@pytest.mark.parametrize("query", URLS)
def test_the_body_is_byte_identical_to_the_serializers(cat, uncached, query):
    url = LIST + query
    ours = Client().get(url)
    theirs = _reference(url)
    assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content)
    assert ours["Content-Type"] == theirs["Content-Type"]


def test_indented_and_browsable_answers_are_the_serializers_too(cat, uncached):
    for accept in ("application/json; indent=2", "text/html"):
        ours = Client().get(LIST, HTTP_ACCEPT=accept)
        theirs = _reference(LIST, HTTP_ACCEPT=accept)
        assert ours.status_code == theirs.status_code == 200
        if accept.startswith("application/json"):
            assert ours.content == theirs.content
        else:
            assert "律师执业许可" in ours.content.decode()


def test_the_loaded_catalogue_has_its_read_model(cat):
    listed = CatalogueItem.objects.filter(versions__status=VersionStatus.PUBLISHED).count()
    assert ItemListing.objects.count() == listed > 15
    assert_current()


def _entry(code: str = LAWYER_FULL_TIME) -> dict | None:
    body = Client().get(LIST, {"page_size": "200"}).json()
    return next((i for i in body["results"] if i["basic_code"] == code), None)


def test_a_new_draft_and_its_dates_rewrite_the_entry(cat, uncached):
    item = CatalogueItem.objects.get(basic_code=LAWYER_FULL_TIME)
    draft = services.new_draft(item, system=True)
    assert [v["number"] for v in _entry()["versions"]] == [1, 2]
    assert_current()
    moment = timezone.now() + dt.timedelta(days=30)
    services.update_draft(draft, {"valid_from": moment}, system=True)
    assert _entry()["versions"][1]["valid_from"] is not None
    assert_current()


def test_publishing_rewrites_the_entry(cat, uncached):
    item = CatalogueItem.objects.get(basic_code=LAWYER_FULL_TIME)
    before = _entry()
    draft = services.new_draft(item, system=True)
    services.publish_version(draft, system=True)
    after = _entry()
    assert after["updated_at"] != before["updated_at"]
    assert [(v["number"], v["status"]) for v in after["versions"]] == [(1, "superseded"), (2, "published")]
    assert after["versions"][0]["valid_until"] is not None
    assert_current()


def test_withdrawing_the_live_version_takes_the_item_off_the_list(cat, uncached):
    count = Client().get(LIST).json()["count"]
    live = ItemVersion.objects.get(item__basic_code=LAWYER_FULL_TIME, status=VersionStatus.PUBLISHED)
    services.withdraw_version(live, system=True)
    assert Client().get(LIST).json()["count"] == count - 1
    assert _entry() is None and not ItemListing.objects.filter(basic_code=LAWYER_FULL_TIME).exists()
    assert_current()


def test_a_renamed_owner_is_shown_at_once(cat, uncached):
    item = CatalogueItem.objects.select_related("owner").get(basic_code=LAWYER_FULL_TIME)
    owner = item.owner
    owner.name = "中华人民共和国司法部（测试更名）"
    owner.save()
    assert _entry()["owner"] == owner.name
    assert_current()
    # the organisation tree renames in bulk (no post_save) and says so with a signal
    Organisation.objects.filter(pk=owner.pk).update(name="司法部（再次更名）")
    organisations_renamed.send(sender=Organisation, ids=[owner.pk])
    assert _entry()["owner"] == "司法部（再次更名）"
    assert_current()


def test_the_rebuild_writes_what_the_commands_wrote(cat, uncached):
    before = Client().get(LIST, {"page_size": "200"}).content
    ItemListing.objects.all().delete()
    assert Client().get(LIST).json()["count"] == 0
    assert listing_services.rebuild_all() > 15
    assert Client().get(LIST, {"page_size": "200"}).content == before
    assert_current()
