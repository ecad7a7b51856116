"""The words people use (检索同义词): seeded by the loader, curated by catalogue admins, used by
catalogue search on the portal and the API so that 律师证 lists 律师执业许可 first."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue import search, services
from sifa.catalogue.data.synonyms import SYNONYMS
from sifa.catalogue.models import CatalogueItem, SearchSynonym
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.organisations.models import Role
from sifa.testing import staff

API = "/api/v1/catalogue/items/"


def _api_names(q: str) -> list[str]:
    return [row["name"] for row in APIClient().get(API, {"q": q, "page_size": 100}).json()["results"]]


def _portal_names(q: str) -> list[str]:
    html = Client().get("/catalogue/", {"q": q}).content.decode()
    section = html.split('id="results"', 1)[1]
    names = [chunk.split("</a>", 1)[0].split(">")[-1] for chunk in section.split("<h3>")[1:]]
    return names


def test_every_shipped_word_names_a_real_item_and_the_loader_seeds_them(cat):
    names = set(CatalogueItem.objects.values_list("name", flat=True))
    missing = [name for _, name in SYNONYMS if name not in names]
    assert missing == []
    assert cat["result"].synonyms_seeded == len(SYNONYMS)
    assert SearchSynonym.objects.count() == len(SYNONYMS)
    assert SearchSynonym.objects.get(term="律师证").item.name == "律师执业许可"
    assert SearchSynonym.objects.get(term="开律所").item.name == "律师事务所设立许可"
    assert SearchSynonym.objects.get(term="法律援助").item.name == "法律援助申请"
    assert AuditEvent.objects.filter(action="catalogue.synonym.seed").exists()
    # Seeding again (a second `sifa load-catalogue`) leaves the admins' list alone.
    assert services.seed_synonyms() == 0


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("律师证", "律师执业许可"),
        ("当律师", "律师执业许可"),
        ("开律所", "律师事务所设立许可"),
        ("法律援助", "法律援助申请"),
        ("补办律师证", "律师执业证书换发（证书损毁、记载事项变更）"),
    ],
)
def test_a_word_people_use_lists_its_item_first_on_the_api_and_the_portal(cat, query, first):
    assert _api_names(query)[0] == first
    assert _portal_names(query)[0] == first


def test_without_its_synonym_the_everyday_word_finds_nothing(cat):
    """What the list is for: 律师证 is not in any item's name or text."""
    SearchSynonym.objects.filter(term="律师证").delete()
    assert _api_names("律师证") == []
    assert search.synonym_item_ids("律师证") == (set(), set())


def test_a_query_that_contains_a_word_ranks_the_exact_word_first(cat):
    exact, contained = search.synonym_item_ids(" 律师证 ")
    assert {CatalogueItem.objects.get(pk=i).name for i in exact} == {"律师执业许可"}
    assert contained == set()
    exact, contained = search.synonym_item_ids("律师证丢了")
    names = {CatalogueItem.objects.get(pk=i).name for i in exact | contained}
    assert names == {"律师执业许可", "律师执业证书换发（证书损毁、记载事项变更）"}


def test_every_result_has_a_one_line_description(cat):
    rows = APIClient().get(API, {"page_size": 100}).json()["results"]
    assert rows and all(0 < len(row["summary"]) <= 60 and "\n" not in row["summary"] for row in rows)
    lawyer = next(row for row in rows if row["name"] == "律师事务所设立许可")
    assert lawyer["summary"].startswith("适用于申请设立") and "律师事务所执业证书" in lawyer["summary"]
    html = Client().get("/catalogue/", {"q": "律师证"}).content.decode()
    assert 'class="sifa-result-summary"' in html and "办结后取得律师执业证书" in html


def test_catalogue_admins_add_and_remove_words_for_their_items_only(cat):
    ministry_admin = staff("syn-ministry", cat["orgs"]["ministry"], Role.CATALOGUE_ADMIN)
    city_admin = staff("syn-city", cat["orgs"]["hz"], Role.CATALOGUE_ADMIN)
    lawyer = CatalogueItem.objects.get(name="律师执业许可")
    synonym = services.add_synonym(ministry_admin, term=" 律师 执照 ", item_code=lawyer.basic_code)
    assert synonym.term == "律师执照"
    assert _api_names("律师执照")[0] == "律师执业许可"
    event = AuditEvent.objects.get(action="catalogue.synonym.add")
    assert event.object_type == "catalogue.SearchSynonym" and event.detail["term"] == "律师执照"
    with pytest.raises(Conflict):
        services.add_synonym(ministry_admin, term="律师执照", item_code=lawyer.basic_code)
    with pytest.raises(Forbidden):  # the item belongs to the ministry
        services.add_synonym(city_admin, term="律师牌照", item_code=lawyer.basic_code)
    with pytest.raises(Forbidden):
        services.remove_synonym(city_admin, synonym)
    with pytest.raises(NotFound):
        services.add_synonym(ministry_admin, term="某事", item_code="009999999999")
    for term, code, error in [
        ("", lawyer.basic_code, "term_required"),
        ("字" * 31, lawyer.basic_code, "term_too_long"),
        ("某事", "坏", "item_code"),
    ]:
        with pytest.raises(ServiceError) as caught:
            services.add_synonym(ministry_admin, term=term, item_code=code)
        assert caught.value.code == f"catalogue.synonym.{error}"
    services.remove_synonym(ministry_admin, synonym)
    assert not SearchSynonym.objects.filter(term="律师执照").exists()
    assert AuditEvent.objects.filter(action="catalogue.synonym.remove").exists()
