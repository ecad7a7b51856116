"""The knowledge base (常见问题): the curators' commands (who may, validation, audit), the starter
entries (every citation resolves), search ranking, the API (400s, 404, 429) and the public pages
with and without JavaScript (a plain GET form; the htmx fragment)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue.services import load_items
from sifa.consultation import selectors, services
from sifa.consultation.models import Faq, FaqStatus
from sifa.consultation.services.faq import STARTER_FILE, starter_entries
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.laws.references import find
from sifa.laws.services import import_sample
from sifa.organisations.models import Role
from sifa.testing import CitizenFactory, rolled_back, staff, tree

API = "/api/v1/faq/"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The law library's sample, the catalogue items, the tree and the starter entries, once."""
    with rolled_back(django_db_blocker):
        orgs = tree("ministry", "zj", "hz", "xh", "xh_town", "js")
        import_sample()
        load_items()
        services.load_starter_faq()
        yield orgs


@pytest.fixture
def w(world, db):
    from sifa.core import limits

    limits.clear()  # the rate limit counts per test
    return world


@pytest.fixture
def people(w):
    return {
        "ministry": staff("faq-ministry", w["ministry"], Role.CONSULTANT),
        "zj": staff("faq-zj", w["zj"], Role.CONSULTANT),
        "hz": staff("faq-hz", w["hz"], Role.CONSULTANT),
        "hz_supervisor": staff("faq-hz-sup", w["hz"], Role.SUPERVISOR),
        "xh": staff("faq-xh", w["xh"], Role.CONSULTANT),
        "js": staff("faq-js", w["js"], Role.CONSULTANT),
        "hz_clerk": staff("faq-hz-clerk", w["hz"], Role.WINDOW_CLERK),
        "citizen": CitizenFactory(username="faq-citizen"),
    }


GOOD = {
    "question": "人民调解委员会调解纠纷要交钱吗？",
    "answer": "不用交钱。人民调解委员会调解民间纠纷，不收取任何费用。",
    "category": "mediation",
    "keywords": "调解 收费",
    "citations": "《中华人民共和国人民调解法》第四条；人民调解法第十七条",
    "item_codes": ["002000002000"],
}


# --- commands ----------------------------------------------------------------------------------


def test_a_consultant_writes_publishes_and_withdraws_an_entry_of_their_organisation(w, people) -> None:
    faq = services.create_faq(people["hz"], organisation=w["hz"], **GOOD)
    assert faq.status == FaqStatus.DRAFT and faq.organisation == w["hz"]
    assert [(c.statute_slug, c.article_key, c.label) for c in faq.citations.all()] == [
        ("人民调解法-2010-08-28", "4", "人民调解法第四条"),
        ("人民调解法-2010-08-28", "17", "人民调解法第十七条"),
    ]
    assert [i.item_code for i in faq.items.all()] == ["002000002000"]
    assert " 调解 " in faq.search_text and " 收费 " in faq.search_text
    services.publish_faq(people["hz"], faq)
    faq.refresh_from_db()
    assert faq.status == FaqStatus.PUBLISHED and faq.published_at
    with pytest.raises(Conflict):
        services.publish_faq(people["hz"], faq)
    services.withdraw_faq(people["hz"], faq)
    assert Faq.objects.get(pk=faq.pk).status == FaqStatus.WITHDRAWN
    actions = list(
        AuditEvent.objects.filter(object_type="consultation.Faq", object_id=str(faq.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["consultation.faq.create", "consultation.faq.publish", "consultation.faq.withdraw"]


def test_who_may_curate(w, people) -> None:
    # Those above the organisation (and its supervisors) may; a county below or another province may not.
    for who in ("hz", "zj", "ministry", "hz_supervisor"):
        assert services.can_curate(people[who], w["hz"]), who
    for who in ("xh", "js", "hz_clerk", "citizen"):
        assert not services.can_curate(people[who], w["hz"]), who
    with pytest.raises(Forbidden) as refused:
        services.create_faq(people["js"], organisation=w["hz"], **GOOD)
    assert refused.value.code == "consultation.not_curator" and refused.value.status == 403
    # National entries: the ministry's and a province's consultants only.
    assert services.can_curate(people["ministry"], None) and services.can_curate(people["zj"], None)
    assert not services.can_curate(people["hz"], None)
    with pytest.raises(Forbidden):
        services.create_faq(people["hz"], **GOOD)
    national = services.create_faq(people["zj"], **GOOD)
    assert national.organisation is None
    faq = services.create_faq(people["hz"], organisation=w["hz"], **GOOD)
    with pytest.raises(Forbidden):
        services.update_faq(people["js"], faq, **GOOD)
    with pytest.raises(Forbidden):
        services.publish_faq(people["xh"], faq)


def test_every_problem_is_named_at_once(w, people) -> None:
    with pytest.raises(ServiceError) as bad:
        services.create_faq(
            people["hz"],
            organisation=w["hz"],
            question="短",
            answer="太短",
            category="nonsense",
            keywords="词" * 201,
            citations=["律师法第六条", "律师法第九百条", "不存在法第三条"],
            item_codes=["999999999999"],
        )
    assert bad.value.status == 400 and bad.value.code == "validation_error"
    codes = [e["code"] for e in bad.value.errors]
    assert codes == [
        "consultation.question_length",
        "consultation.answer_length",
        "consultation.bad_category",
        "consultation.keywords_too_long",
        "consultation.unresolved_citation",
        "consultation.unresolved_citation",
        "consultation.item_unknown",
    ]
    messages = " ".join(e["message"] for e in bad.value.errors)
    assert "律师法第九百条" in messages and "不存在法第三条" in messages and "999999999999" in messages
    assert not Faq.objects.filter(question="短").exists()


def test_an_update_replaces_text_citations_and_items(w, people) -> None:
    faq = services.create_faq(people["hz"], organisation=w["hz"], **GOOD)
    services.update_faq(
        people["zj"],
        faq,
        question=GOOD["question"],
        answer="调解协议达成后三十日内可以共同申请司法确认。",
        category="mediation",
        keywords="司法确认",
        citations="人民调解法第三十三条",
        item_codes=[],
    )
    faq.refresh_from_db()
    assert [c.label for c in faq.citations.all()] == ["人民调解法第三十三条"]
    assert not faq.items.exists() and " 司法 " in faq.search_text
    assert AuditEvent.objects.filter(action="consultation.faq.update", object_id=str(faq.public_id)).exists()


# --- the starter knowledge base ----------------------------------------------------------------


def test_every_starter_citation_resolves_in_the_library_sample(w) -> None:
    entries = starter_entries(STARTER_FILE)
    assert 15 <= len(entries) <= 30
    assert len({e["key"] for e in entries}) == len(entries)
    for entry in entries:
        assert entry["citations"], entry["key"]
        for text in entry["citations"]:
            found = find(text)
            assert found and all(c.resolved for c in found), (entry["key"], text)
        # Every article the answer names in its text resolves too (it becomes a link).
        for citation in find(entry["answer"]):
            if citation.law:
                assert citation.resolved, (entry["key"], citation.law, citation.number)


def test_the_starter_load_is_idempotent_and_published(w) -> None:
    count = Faq.objects.filter(source_key__gt="").count()
    assert count == len(starter_entries()) and count == Faq.objects.filter(status=FaqStatus.PUBLISHED).count()
    call_command("load-faq", verbosity=0)
    again = services.load_starter_faq()
    assert again.created == [] and again.updated == [] and len(again.unchanged) == count
    assert Faq.objects.count() == count
    assert AuditEvent.objects.filter(action="consultation.faq.load").count() >= count


# --- search --------------------------------------------------------------------------------------


def test_lawyer_licence_card_query_finds_the_lost_certificate_entry_first(w) -> None:
    hits = selectors.search_faq("律师证")
    assert hits and hits[0].faq.source_key == "lawyer-certificate-lost"
    hits = selectors.search_faq("律师证丢了怎么办")
    assert hits[0].faq.source_key == "lawyer-certificate-lost"


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("离婚", "family-dispute-mediation"),
        ("调解收费吗", "mediation-free"),
        ("司法确认", "mediation-confirmation"),
        ("法律援助 条件", "legal-aid-eligibility"),
        ("行政复议期限", "administrative-review-deadline"),
        ("申请律师执业条件", "lawyer-licence-conditions"),
        ("公证", None),
        ("证", None),
    ],
)
def test_short_and_everyday_queries_find_the_right_entry(w, query, key) -> None:
    hits = selectors.search_faq(query)
    assert hits, query
    if key:
        assert hits[0].faq.source_key == key, [h.faq.source_key for h in hits]


def test_question_hits_weigh_more_than_answer_hits(w, people) -> None:
    in_answer = services.create_faq(
        people["hz"],
        organisation=w["hz"],
        question="邻里之间发生纠纷怎么解决？",
        answer="可以申请人民调解。人民调解委员会调解民间纠纷，不收取任何费用；也可以提起诉讼。甲乙丙丁",
        category="mediation",
    )
    in_question = services.create_faq(
        people["hz"],
        organisation=w["hz"],
        question="甲乙丙丁纠纷如何处理？",
        answer="可以向人民调解委员会申请调解。",
        category="mediation",
    )
    for faq in (in_answer, in_question):
        services.publish_faq(people["hz"], faq)
    ranked = [h.faq.pk for h in selectors.search_faq("甲乙丙丁")]
    assert ranked.index(in_question.pk) < ranked.index(in_answer.pk)


def test_drafts_and_withdrawn_entries_are_never_found(w, people) -> None:
    faq = services.create_faq(
        people["hz"], organisation=w["hz"], **{**GOOD, "question": "草稿里的独特问题甲乙"}
    )
    assert not any(h.faq.pk == faq.pk for h in selectors.search_faq("草稿里的独特问题甲乙"))


def test_bad_queries(w) -> None:
    for query, code in (("", "consultation.query_required"), ("律" * 101, "consultation.query_too_long")):
        with pytest.raises(ServiceError) as bad:
            selectors.search_faq(query)
        assert bad.value.code == code and bad.value.status == 400


# --- API -----------------------------------------------------------------------------------------


def test_api_search_and_detail(w) -> None:
    api = APIClient()
    response = api.get(API, {"q": "律师证", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"]) <= 3
    top = body["results"][0]
    assert top["question"].startswith("律师执业证书") and top["category"] == "practice"
    assert top["category_label"] == "律师、公证、司法鉴定等法律服务"
    assert top["snippet"].startswith("律师执业证书由") and top["url"].endswith(f"/faq/{top['id']}/")
    aid = api.get(API, {"q": "法律援助"}).json()["results"][0]
    assert "<mark>法律援助</mark>" in aid["snippet"]
    detail = api.get(f"{API}{top['id']}/").json()
    assert detail["answer"].startswith("律师执业证书由")
    six = {"label": "律师法第六条", "url": f"http://testserver/laws/{quote('律师法-2017-09-01')}/6/"}
    assert six in detail["citations"]
    assert detail["items"][0]["code"] == "000100001003"
    assert detail["items"][0]["url"] == "http://testserver/catalogue/000100001003/"
    assert detail["organisation"] is None
    only = api.get(API, {"q": "调解", "category": "mediation"}).json()["results"]
    assert only and {r["category"] for r in only} == {"mediation"}


def test_api_errors_are_stable_and_chinese(w) -> None:
    api = APIClient()
    for params, code in (
        ({}, "consultation.query_required"),
        ({"q": "  "}, "consultation.query_required"),
        ({"q": "律" * 101}, "consultation.query_too_long"),
        ({"q": "律师", "category": "nope"}, "consultation.bad_category"),
        ({"q": "律师", "limit": "0"}, "consultation.bad_limit"),
        ({"q": "律师", "limit": "x"}, "consultation.bad_limit"),
    ):
        response = api.get(API, params)
        assert response.status_code == 400, params
        assert response.json()["code"] == code and response.json()["message"]
    for missing in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = api.get(f"{API}{missing}/")
        assert response.status_code == 404 and response.json()["code"] == "consultation.faq_not_found"


def test_a_draft_is_not_in_the_api(w, people) -> None:
    faq = services.create_faq(people["hz"], organisation=w["hz"], **GOOD)
    assert APIClient().get(f"{API}{faq.public_id}/").status_code == 404


def test_the_api_is_rate_limited(w) -> None:
    api = APIClient()
    statuses = [api.get(API, {"q": "公证"}).status_code for _ in range(121)]
    assert statuses[0] == 200 and statuses[-1] == 429


# --- pages ---------------------------------------------------------------------------------------


def test_the_search_page_works_without_javascript(w, client) -> None:
    index = client.get("/faq/")
    body = index.content.decode()
    assert index.status_code == 200 and 'method="get"' in body
    assert "按类别浏览" in body and "法律援助" in body and "什么是法律援助？" in body
    assert 'href="/consultations/new/"' in body
    found = client.get("/faq/", {"q": "律师证"})
    body = found.content.decode()
    assert found.status_code == 200 and "<mark>律师证</mark>" in body
    assert "律师执业证书（律师证）遗失或者损毁了怎么办？" not in body  # highlighted, so split by <mark>
    browse = client.get("/faq/", {"category": "mediation"}).content.decode()
    assert "人民调解收费吗？怎样申请人民调解？" in browse and "什么是法律援助？" not in browse
    too_long = client.get("/faq/", {"q": "律" * 101})
    assert too_long.status_code == 400 and "不能超过100个字" in too_long.content.decode()
    assert 'href="#id_q"' in too_long.content.decode()  # the error summary links to the box
    assert client.get("/faq/", {"category": "nope"}).status_code == 400
    nothing = client.get("/faq/", {"q": "火星移民签证"}).content.decode()
    assert "没有找到相关的常见问题" in nothing


def test_the_page_asks_for_suggestions_with_htmx(w, client) -> None:
    body = client.get("/faq/").content.decode()
    assert "django_htmx/htmx-2.min.js" in body
    assert 'hx-get="/faq/suggest/"' in body
    assert 'hx-trigger="input changed delay:300ms from:#id_q, search from:#id_q"' in body
    assert 'hx-include="#id_q"' in body


def test_the_suggest_fragment(w, client) -> None:
    fragment = client.get("/faq/suggest/", {"q": "律师证"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<ul" in body and "<html" not in body
    assert body.count("<li>") <= 5 and "/faq/" in body and "<mark>律师证</mark>" in body
    # An empty, bad or unmatched query is an empty fragment, never an error.
    for params in ({"q": ""}, {"q": "律" * 101}, {}):
        response = client.get("/faq/suggest/", params)
        assert response.status_code == 200 and "<li>" not in response.content.decode()
    # The ask form's box is named "question": the include says so with ?field=.
    named = client.get("/faq/suggest/", {"field": "question", "question": "法律援助"}).content.decode()
    assert "<li>" in named


def test_the_answer_page(w, client) -> None:
    faq = Faq.objects.get(source_key="mediation-free")
    response = client.get(f"/faq/{faq.public_id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        body.count(f'href="/laws/{quote("人民调解法-2010-08-28")}/4/"') == 2
    )  # stored citation, text's link
    assert ">人民调解法第四条</a>" in body
    assert 'href="/catalogue/002000002000/"' in body and "人民调解申请" in body
    assert 'href="/consultations/new/"' in body and "没有找到答案？" in body
    for missing in ("00000000-0000-0000-0000-000000000000", "nope"):
        gone = client.get(f"/faq/{missing}/")
        assert gone.status_code == 404 and "未找到" in gone.content.decode()


def test_the_ask_form_shows_suggestions_under_its_title(w, client) -> None:
    body = client.get("/consultations/new/").content.decode()
    assert "django_htmx/htmx-2.min.js" in body
    assert 'hx-get="/faq/suggest/?field=title"' in body and 'hx-include="#f-title"' in body
    named = client.get("/faq/suggest/", {"field": "title", "title": "律师证"}).content.decode()
    assert "<mark>律师证</mark>" in named
