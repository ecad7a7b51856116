"""Rating a window visit or a 12348 call by link (评价器, SMS): signed, single-use, expiring tokens;
forgery, replay and expiry are refused with a Chinese message; the service is rated once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.consultation.models import Ticket, TicketStatus
from sifa.core.errors import ServiceError
from sifa.evaluation import services
from sifa.evaluation.models import Rating, RatingLink, SubjectKind
from sifa.evaluation.tests.test_ratings import _answered_ticket
from sifa.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _page(path, **post):
    web = Client()
    return web.post(path, post) if post else web.get(path)


def test_a_window_visit_is_rated_on_the_counter_device_once(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    assert issued.link.number.startswith("CK330100") and issued.path == f"/rate/{issued.token}/"
    assert issued.token not in {link.token_digest for link in RatingLink.objects.all()}  # digest only
    shown = _page(issued.path)
    assert shown.status_code == 200 and "杭州市司法局" in shown.content.decode()
    assert "hz-clerk" not in shown.content.decode()  # never the staff member
    done = _page(issued.path, level="very_dissatisfied", comment="排队太久，窗口只开了一个")
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    rating = Rating.objects.get(number=issued.link.number)
    assert rating.subject_kind == SubjectKind.VISIT and rating.channel == "window_tablet"
    assert rating.organisation == orgs["hz"] and rating.staff_member == people["hz_clerk"]
    assert rating.rater is None and not rating.rater_named and rating.stage == "窗口受理"
    assert rating.rectification.organisation == orgs["hz"] and rating.rectification.callback_due is None
    # Replay: the link is used up.
    again = _page(issued.path, level="very_satisfied")
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()
    assert _page(issued.path).status_code == 409
    assert Rating.objects.filter(number=issued.link.number).count() == 1
    assert AuditEvent.objects.filter(action="evaluation.link.issue").count() == 1
    assert AuditEvent.objects.filter(action="evaluation.link.use").count() == 1


def test_forged_guessed_or_altered_tokens_match_nothing(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    flipped = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    body = issued.token[:16]
    for token in (flipped, body + "x" * 12, "1", "a" * 28, issued.link.number, str(issued.link.pk)):
        answer = _page(f"/rate/{token}/")
        assert answer.status_code == 404, token
        assert "评价链接无效" in answer.content.decode()
        with pytest.raises(ServiceError) as refused:
            services.rate_by_link(token, level="very_satisfied")
        assert refused.value.code == "evaluation.link_invalid"
    assert Rating.objects.count() == 0


def test_an_expired_link_is_refused(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    RatingLink.objects.filter(pk=issued.link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    answer = _page(issued.path, level="satisfied")
    assert answer.status_code == 410 and "已过期" in answer.content.decode()
    assert Rating.objects.count() == 0


def test_bad_input_on_the_page_is_a_400_with_the_error_summary(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    answer = _page(issued.path, level="excellent", comment="好")
    assert answer.status_code == 400 and "请选择您对本次服务的满意程度" in answer.content.decode()
    long = _page(issued.path, level="satisfied", comment="长" * 501)
    assert long.status_code == 400 and "不能超过500字" in long.content.decode()
    assert _page(issued.path, level="satisfied").status_code == 200  # still usable


def test_a_visit_link_by_sms_needs_a_mobile_number_and_a_window_clerk(orgs, people):
    with pytest.raises(ServiceError) as refused:
        services.invite_visit(people["hz_clerk"], channel="sms", phone="12345")
    assert refused.value.code == "evaluation.bad_phone" and refused.value.status == 400
    with pytest.raises(ServiceError) as refused:
        services.invite_visit(people["hz_supervisor"], channel="window_tablet")
    assert refused.value.status == 403
    issued = services.invite_visit(people["hz_clerk"], channel="sms", phone="13812345678")
    sms = Notification.objects.get(event="evaluation.rate_link")
    assert sms.recipient is None and sms.phone_masked.startswith("138") and issued.path in sms.sms_text
    assert "13812345678" not in str(RatingLink.objects.values().get())  # the number is not kept here
    assert _page(issued.path, level="satisfied").status_code == 200
    assert Rating.objects.get(number=issued.link.number).channel == "sms"


def test_a_hotline_call_gets_an_sms_link_and_is_rated_through_its_ticket(orgs, people):
    ticket = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    first = services.invite_call(people["operator"], ticket.number)
    issued = services.invite_call(people["operator"], ticket.number)  # a second SMS withdraws the first
    withdrawn = _page(first.path, level="satisfied")
    assert withdrawn.status_code == 410 and "已作废" in withdrawn.content.decode()
    sms = Notification.objects.filter(event="evaluation.rate_link").latest("created_at")
    token = re.search(r"/rate/([^/]+)/", sms.sms_text).group(1)
    assert token == issued.token
    assert _page(issued.path, level="dissatisfied", comment="等了很久才接通").status_code == 200
    rating = Rating.objects.get(number=ticket.number)
    assert rating.subject_kind == SubjectKind.CALL and rating.channel == "sms"
    assert rating.rater_named and rating.staff_member == people["town"]  # the caller left a number
    assert Ticket.objects.get(number=ticket.number).status == TicketStatus.CLOSED
    with pytest.raises(ServiceError) as refused:
        services.invite_call(people["operator"], ticket.number)
    assert refused.value.code == "evaluation.already_rated"
    assert _page(issued.path, level="satisfied").status_code == 409


def test_a_call_link_needs_an_answered_hotline_ticket_in_scope(orgs, people):
    web = _answered_ticket(people, asker=people["applicant"])
    with pytest.raises(ServiceError) as refused:
        services.invite_call(people["operator"], web.number)  # not a call
    assert refused.value.status == 404
    call = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    with pytest.raises(ServiceError) as refused:
        services.invite_call(people["bj_supervisor"], call.number)
    assert refused.value.status == 404
    rated_by_phone = _answered_ticket(people, channel="hotline", phone="13812345679", name="李女士")
    from sifa.consultation import services as consultation

    consultation.rate(people["operator"], rated_by_phone.number, satisfaction="satisfied", channel="hotline")
    with pytest.raises(ServiceError) as refused:
        services.invite_call(people["operator"], rated_by_phone.number)
    assert refused.value.status == 409
