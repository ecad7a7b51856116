"""The notices CMS: draft → submit → 保密审查 (publish or return) → withdraw; who may do what; scope."""

from __future__ import annotations

import pytest

from sifa.audit.models import AuditEvent
from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.disclosure import selectors, services
from sifa.disclosure.models import CHECKLIST, NoticeReview, NoticeStatus
from sifa.disclosure.tests.conftest import draft, published
from sifa.organisations.scope import actor_for

pytestmark = pytest.mark.django_db


def test_a_draft_is_reviewed_by_another_person_and_published(orgs, people):
    author, reviewer = people["hz_clerk"], people["hz_supervisor"]
    notice = draft(author, orgs["hz"])
    assert notice.status == NoticeStatus.DRAFT and notice.scope_path == orgs["hz"].path
    assert selectors.public_notice(notice.public_id) is None
    services.submit(author, notice.public_id)
    assert selectors.public_notice(notice.public_id) is None
    done = services.review(
        reviewer, notice.public_id, decision="publish", confirmed="1", opinion="不涉密，同意公开"
    )
    assert done.status == NoticeStatus.PUBLISHED and done.published_by == reviewer
    review = NoticeReview.objects.get(notice=done)
    assert review.checklist_confirmed and review.checklist_text == CHECKLIST
    assert review.reviewer == reviewer and review.reviewer_role == "supervisor"
    assert review.opinion == "不涉密，同意公开"
    assert selectors.public_notice(notice.public_id) == done
    actions = list(
        AuditEvent.objects.filter(object_type="disclosure.Notice", object_id=str(notice.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "disclosure.notice.draft",
        "disclosure.notice.submit",
        "disclosure.notice.publish",
    ]


def test_the_author_cannot_publish_alone(orgs, people):
    # The decision maker may review others' notices, but never their own.
    author = people["hz_decider"]
    notice = draft(author, orgs["hz"])
    with pytest.raises(Forbidden) as refused:
        services.review(author, notice.public_id, decision="publish", confirmed=True, opinion="同意")
    assert refused.value.code == "disclosure.own_notice" or refused.value.code == "disclosure.not_submitted"
    services.submit(author, notice.public_id)
    with pytest.raises(Forbidden) as refused:
        services.review(author, notice.public_id, decision="publish", confirmed=True, opinion="同意")
    assert refused.value.code == "disclosure.own_notice"
    assert selectors.public_notice(notice.public_id) is None
    assert not NoticeReview.objects.exists()


def test_a_draft_cannot_be_published_without_submission_or_checklist(orgs, people):
    author, reviewer = people["hz_clerk"], people["hz_supervisor"]
    notice = draft(author, orgs["hz"])
    with pytest.raises(ServiceError) as refused:
        services.review(reviewer, notice.public_id, decision="publish", confirmed=True, opinion="同意")
    assert refused.value.code == "disclosure.not_submitted"
    services.submit(author, notice.public_id)
    with pytest.raises(ServiceError) as refused:
        services.review(reviewer, notice.public_id, decision="publish", confirmed=False, opinion="同意")
    assert refused.value.code == "disclosure.not_confirmed" and refused.value.status == 400
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SUBMITTED


def test_only_reviewer_roles_review(orgs, people):
    notice = draft(people["hz_clerk"], orgs["hz"])
    services.submit(people["hz_clerk"], notice.public_id)
    with pytest.raises(Forbidden):  # 审查人员 (case reviewer) is not a 保密审查 reviewer
        services.review(
            people["hz_reviewer"], notice.public_id, decision="publish", confirmed=True, opinion="同意"
        )
    # The province above may review.
    done = services.review(
        people["zj_supervisor"], notice.public_id, decision="publish", confirmed=True, opinion="同意公开"
    )
    assert done.status == NoticeStatus.PUBLISHED


def test_returned_notices_are_edited_and_resubmitted(orgs, people):
    author, reviewer = people["hz_clerk"], people["hz_supervisor"]
    notice = draft(author, orgs["hz"])
    services.submit(author, notice.public_id)
    with pytest.raises(ServiceError):  # no editing while in review
        services.save_draft(
            author,
            notice_id=notice.public_id,
            category="notice",
            title="新的标题文字",
            body="新的正文内容十个字以上",
        )
    services.review(reviewer, notice.public_id, decision="return", opinion="第二段含有申请人姓名，请删除")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RETURNED
    edited = services.save_draft(
        author,
        notice_id=notice.public_id,
        category="news",
        title="窗口办公时间调整",
        body="窗口办公时间调整为上午9:00至下午5:00。",
    )
    assert edited.category == "news"
    with pytest.raises(Forbidden):  # only the author edits
        services.save_draft(
            people["hz_decider"],
            notice_id=notice.public_id,
            category="news",
            title="别人改的标题",
            body="别人改的正文内容十字以上",
        )
    services.submit(author, notice.public_id)
    assert NoticeReview.objects.filter(notice=notice).count() == 1


def test_withdrawn_notices_are_kept_but_not_public(orgs, people):
    notice = published(people["hz_clerk"], people["hz_supervisor"], orgs["hz"])
    with pytest.raises(Forbidden):  # the author (a window clerk) may not withdraw
        services.withdraw(people["hz_clerk"], notice.public_id, reason="内容已过时")
    with pytest.raises(ServiceError) as refused:
        services.withdraw(people["hz_supervisor"], notice.public_id, reason="")
    assert refused.value.code == "disclosure.required"
    services.withdraw(people["hz_supervisor"], notice.public_id, reason="办公时间再次调整，以新通知为准")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN and notice.withdrawn_by == people["hz_supervisor"]
    assert selectors.public_notice(notice.public_id) is None
    assert not selectors.public_notices().exists()
    assert AuditEvent.objects.filter(
        action="disclosure.notice.withdraw", object_id=str(notice.public_id)
    ).exists()
    with pytest.raises(ServiceError):
        services.withdraw(people["hz_supervisor"], notice.public_id, reason="再次撤回试试")


def test_other_subtrees_get_404(orgs, people):
    notice = draft(people["hz_clerk"], orgs["hz"])
    services.submit(people["hz_clerk"], notice.public_id)
    for outsider in (people["nb_supervisor"], people["bj_supervisor"]):
        with pytest.raises(NotFound):
            services.review(outsider, notice.public_id, decision="publish", confirmed=True, opinion="同意")
        assert selectors.staff_notice(actor_for(outsider), notice.public_id) is None
        assert not selectors.staff_notices(actor_for(outsider)).exists()
    assert selectors.staff_notice(actor_for(people["zj_supervisor"]), notice.public_id) == notice
    with pytest.raises(NotFound):
        services.submit(people["hz_clerk"], "not-a-uuid")


def test_drafts_are_for_the_authors_own_organisation(orgs, people):
    with pytest.raises(ServiceError) as refused:
        draft(people["hz_clerk"], orgs["nb"])
    assert refused.value.code == "disclosure.organisation"
    with pytest.raises(ServiceError) as refused:
        draft(people["hz_clerk"], orgs["hz"], title="短", body="太短", category="x")
    assert {e["field"] for e in refused.value.errors} == {"title", "body", "category"}
    with pytest.raises(ServiceError) as refused:
        draft(people["hz_clerk"], orgs["hz"], title="含有\u202e控制字符的标题")
    assert refused.value.errors[0]["code"] == "disclosure.unreadable"


def test_the_offered_commands_follow_the_rules(orgs, people):
    author, reviewer = people["hz_clerk"], people["hz_supervisor"]
    notice = draft(author, orgs["hz"])
    assert selectors.allowed(actor_for(author), notice) == ["edit", "submit"]
    assert selectors.allowed(actor_for(reviewer), notice) == []
    services.submit(author, notice.public_id)
    notice.refresh_from_db()
    assert selectors.allowed(actor_for(author), notice) == []
    assert selectors.allowed(actor_for(reviewer), notice) == ["review"]
    services.review(reviewer, notice.public_id, decision="publish", confirmed=True, opinion="同意公开")
    notice.refresh_from_db()
    assert selectors.allowed(actor_for(reviewer), notice) == ["withdraw"]
