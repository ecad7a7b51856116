"""评价本次服务 on the citizen's case page: rate a finished case once, through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sifa.applications.models import ApplicationStatus
from sifa.evaluation.models import Channel, Rating, Rectification
from sifa.evaluation.tests.conftest import (  # noqa: F401  (fixtures)
    _fresh,
    _laws_sample,
    cat,
    laws,
    lawyer_case,
    loaded,
    orgs,
    people,
)

pytestmark = pytest.mark.django_db


def _page(client, app):
    return client.get(reverse("citizen-application", args=[app.number]))


def _rate(client, app, **data):
    return client.post(reverse("citizen-rate", args=[app.number]), data)


def test_a_delivered_case_offers_the_five_levels_and_is_rated_once(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"])
    client.force_login(people["applicant"])
    html = _page(client, app).content.decode()
    assert "评价本次服务" in html
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f">{label}</label>" in html

    response = _rate(client, app, level="satisfied", comment="办理很快")
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen-application", args=[app.number])
    rating = Rating.objects.get(number=app.number)
    assert (rating.level, rating.channel, rating.comment) == ("satisfied", Channel.WEB, "办理很快")
    assert rating.rater == people["applicant"]

    html = client.get(response["Location"]).content.decode()
    assert "感谢您的评价" in html
    assert "您的评价：<strong>满意</strong>：办理很快" in html
    assert 'name="level"' not in html
    assert not Rectification.objects.exists()

    again = _rate(client, app, level="very_dissatisfied")
    assert again.status_code == 302
    html = client.get(again["Location"]).content.decode()
    assert "每项服务只能评价一次" in html
    assert Rating.objects.get(number=app.number).level == "satisfied"


def test_an_open_case_has_no_rating_form_and_cannot_be_rated(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"], status=ApplicationStatus.IN_REVIEW)
    client.force_login(people["applicant"])
    assert 'name="level"' not in _page(client, app).content.decode()
    response = _rate(client, app, level="satisfied")
    assert response.status_code == 302
    assert "办结（送达）或不予受理后才能评价" in client.get(response["Location"]).content.decode()
    assert not Rating.objects.exists()


def test_someone_elses_case_is_404(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"])
    client.force_login(people["other"])
    assert _page(client, app).status_code == 404
    assert _rate(client, app, level="satisfied").status_code == 404
    assert not Rating.objects.exists()


def test_a_bad_level_is_400_with_the_error_summary(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"])
    client.force_login(people["applicant"])
    response = _rate(client, app, level="great", comment="备注" * 300)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="sifa-error-summary"' in html
    assert '<a href="#f-level">满意度应为非常满意、满意、基本满意、不满意或非常不满意</a>' in html
    assert '<a href="#f-comment">文字评价不能超过500字</a>' in html
    assert 'id="f-level-error"' in html and 'id="f-comment-error"' in html
    assert not Rating.objects.exists()

    missing = _rate(client, app)
    assert missing.status_code == 400
    assert '<a href="#f-level">请选择您对本次服务的满意程度</a>' in missing.content.decode()


def test_a_bad_rating_shows_the_rectification_with_its_due_date(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"])
    client.force_login(people["applicant"])
    response = _rate(client, app, level="非常不满意", comment="窗口等候太久")
    assert response.status_code == 302
    rectification = Rectification.objects.get(rating__number=app.number)
    html = client.get(response["Location"]).content.decode()
    assert "已启动整改" in html
    assert "您的评价：<strong>非常不满意</strong>：窗口等候太久" in html
    assert (
        f"{rectification.due_date:%Y}年{rectification.due_date.month}月{rectification.due_date.day}日" in html
    )
    assert "待整改" in html
    assert people["hz_clerk"].display_name not in html


def test_an_agent_sees_the_case_but_does_not_rate_it(client, orgs, people):  # noqa: F811
    app = lawyer_case(orgs, people["applicant"])
    app_agent = people["other"]
    type(app).objects.filter(pk=app.pk).update(agent=app_agent)
    client.force_login(app_agent)
    page = _page(client, app)
    assert page.status_code == 200
    assert 'name="level"' not in page.content.decode()
    assert _rate(client, app, level="satisfied").status_code == 404
    assert not Rating.objects.exists()
