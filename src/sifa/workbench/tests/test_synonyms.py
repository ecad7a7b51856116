"""工作台 → 事项管理 → 群众常用说法: catalogue admins add and remove the words people use."""

from __future__ import annotations

from sifa.catalogue.models import SearchSynonym
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

URL = "/workbench/catalogue/synonyms/"
LAWYER = "000100001000"  # 律师执业许可


def test_a_catalogue_admin_adds_a_word_and_search_lists_its_item_first(login, w, client):
    admin = W.staff("ministry-catalogue", (w["ministry"], Role.CATALOGUE_ADMIN))
    browser = login(admin)
    html = browser.get(URL).content.decode()
    assert "群众常用说法" in html and "律师证" in html and "律师执业许可" in html
    assert 'href="/workbench/catalogue/synonyms/"' in browser.get("/workbench/catalogue/").content.decode()

    response = browser.post(URL, {"action": "add", "term": "律师牌照", "item_code": LAWYER})
    assert response.status_code == 302
    assert SearchSynonym.objects.filter(term="律师牌照", item__basic_code=LAWYER).exists()
    assert "律师牌照" in browser.get(response["Location"]).content.decode()

    # Both errors at once in the summary, each linked to its field.
    html = browser.post(URL, {"action": "add", "term": "", "item_code": ""}).content.decode()
    assert "请填写群众常用说法" in html and "请选择对应事项" in html and 'href="#id_term"' in html
    # The same word for the same item twice: the service's refusal, in Chinese.
    response = browser.post(URL, {"action": "add", "term": "律师牌照", "item_code": LAWYER})
    assert response.status_code == 409 and "已指向律师执业许可" in response.content.decode()

    synonym = SearchSynonym.objects.get(term="律师牌照")
    assert browser.post(URL, {"action": "remove", "synonym": str(synonym.pk)}).status_code == 302
    assert not SearchSynonym.objects.filter(pk=synonym.pk).exists()
    assert browser.post(URL, {"action": "remove", "synonym": "99999999"}).status_code == 404
    assert browser.post(URL, {"action": "remove", "synonym": "x"}).status_code == 404


def test_admins_of_other_items_may_not_remove_and_others_do_not_see_the_page(login, people):
    # 浙江's catalogue admin authors no shipped item (the ministry owns them): the list shows no 删除.
    html = login(people["zj_catalogue"]).get(URL).content.decode()
    assert "律师证" in html and "由事项所属机构维护" in html and 'value="remove"' not in html
    assert "没有负责维护的事项" in html and 'value="add"' not in html  # says why, offers no empty form
    synonym = SearchSynonym.objects.get(term="律师证")
    response = login(people["zj_catalogue"]).post(URL, {"action": "remove", "synonym": str(synonym.pk)})
    assert response.status_code == 403 and SearchSynonym.objects.filter(pk=synonym.pk).exists()
    assert login(people["hz_reviewer"]).get(URL).status_code == 404
