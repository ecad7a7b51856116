"""Legal-aid questions in plain words, with the article behind 了解更多 (guide page, guide JSON)."""

from __future__ import annotations

from django.test import Client

from sifa.catalogue.models import ImplementationEntry, Situation

LEGAL_AID = "002000001000"


def test_legal_aid_questions_are_plain_and_the_article_is_behind_learn_more(cat):
    entry = ImplementationEntry.objects.filter(item__basic_code=LEGAL_AID).first()
    html = Client().get(f"/guides/{entry.implementation_code}/").content.decode()
    assert "您是否属于下面这些人员？属于的，不用证明家里经济困难" in html
    assert "讨要工资或者因工伤要求赔偿的进城务工人员" in html  # the hint, in plain words
    assert "法律援助法第四十二条规定的" not in html.split("<legend>", 1)[1].split("</legend>", 1)[0]
    assert 'aria-describedby="situation-means_exempt-hint"' in html
    learn_more = html.split("<summary>了解更多", 1)[1].split("</details>", 1)[0]
    assert "《中华人民共和国法律援助法》第四十二条" in learn_more and "免予核查经济困难状况" in learn_more
    for situation in Situation.objects.filter(
        version__item__basic_code=LEGAL_AID, version__status="published"
    ):
        assert situation.hint and situation.basis.startswith("《中华人民共和国法律援助法》第四十")
        assert "第四十" not in situation.question  # the article is not in the question itself
