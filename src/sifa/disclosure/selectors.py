"""Reads of 政务公开.

Staff reads go through ``sifa.organisations.scope.scoped`` (the notices of their subtree, drafts
included). Public reads return published notices only, and the rectified 差评 without anything
personal:

* :func:`public_notices` / :func:`public_notice` — status 已发布 only: a draft, a notice in review,
  a returned or a withdrawn one is never public (404);
* :func:`rectified` — the 差评 whose rectification was closed (办结) in a month, in an
  organisation's subtree: the date, the item (or the kind of service), the level, the stage, the
  rectifying organisation and the outcome reported to the rater with long digit runs (phone,
  identity and case numbers) and e-mail addresses masked. The rater's comment is **not** shown: it
  is the rater's own words, may name people or describe their affairs, and the rater wrote it for
  the organisation, not for publication. Never the rater, the case number or the staff member.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from sifa.catalogue.models import CatalogueItem
from sifa.disclosure import markup, periods
from sifa.disclosure.models import Notice, NoticeStatus
from sifa.disclosure.rules import may_edit, may_review, public_id_of, review_role
from sifa.evaluation.models import Rectification, RectificationStatus, SubjectKind
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor, scoped

TABS = {
    "mine": "我起草的",
    "submitted": "待保密审查",
    "published": "已发布",
    "returned": "已退回修改",
    "withdrawn": "已撤回",
    "all": "全部",
}

DIGITS = re.compile(r"[0-9０-９XxＸ]{6,}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
MASK = "＊＊＊"


# --- staff --------------------------------------------------------------------------------------


def staff_notices(actor: Actor, tab: str = "all") -> QuerySet[Notice]:
    rows = scoped(Notice.objects.all(), actor)
    if tab == "mine":
        rows = rows.filter(author_id=actor.user_id)
    elif tab in NoticeStatus.values:
        rows = rows.filter(status=tab)
    return rows.select_related("organisation", "author").order_by("-updated_at", "-id")


def staff_notice(actor: Actor, public_id: Any) -> Notice | None:
    key = public_id_of(public_id)
    if key is None:
        return None
    return (
        scoped(Notice.objects.all(), actor)
        .filter(public_id=key)
        .select_related("organisation", "author", "published_by", "withdrawn_by")
        .first()
    )


def allowed(actor: Actor, notice: Notice) -> list[str]:
    """The commands this staff member may use on the notice now (the services check again)."""
    found = []
    if may_edit(actor, notice):
        found += ["edit", "submit"]
    if notice.status == NoticeStatus.SUBMITTED and may_review(actor, notice):
        found.append("review")
    if notice.status == NoticeStatus.PUBLISHED and review_role(actor, notice.scope_path):
        found.append("withdraw")
    return found


# --- public -------------------------------------------------------------------------------------


def public_notices(organisation: Organisation | None = None) -> QuerySet[Notice]:
    """Published notices, newest first; of one organisation (its own, not its subtree's) if given."""
    rows = Notice.objects.filter(status=NoticeStatus.PUBLISHED)
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    return rows.select_related("organisation").order_by("-published_at", "-id")


def public_notice(public_id: Any) -> Notice | None:
    key = public_id_of(public_id)
    if key is None:
        return None
    return public_notices().filter(public_id=key).first()


def notice_out(notice: Notice, base_url: str = "") -> dict[str, Any]:
    """A published notice as open data (``opendata_columns.NOTICES``)."""
    return {
        "id": str(notice.public_id),
        "organisation_id": notice.organisation_id,
        "organisation": notice.organisation.name,
        "category": notice.category,
        "category_label": notice.get_category_display(),
        "title": notice.title,
        "summary": markup.plain(notice.body),
        "body": notice.body,
        "published_at": timezone.localtime(notice.published_at).isoformat(),
        "url": f"{base_url}/disclosure/notices/{notice.public_id}/",
    }


def public_organisation(value: Any) -> Organisation | None:
    value = str(value or "").strip()
    if not value.isdigit() or len(value) > 11:
        return None
    return Organisation.objects.filter(pk=int(value), is_active=True).first()


def ancestors(organisation: Organisation) -> list[Organisation]:
    ids = [int(part) for part in organisation.path.strip("/").split("/") if part.isdigit()]
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids[:-1], is_active=True)}
    return [found[i] for i in ids[:-1] if i in found]


def children(organisation: Organisation) -> QuerySet[Organisation]:
    return Organisation.objects.filter(parent=organisation, is_active=True).order_by("path")


def top_organisations() -> QuerySet[Organisation]:
    """The ministry and the provinces: the ways into the tree from the platform page."""
    return Organisation.objects.filter(is_active=True, level__lte=2).order_by("level", "path")


def mask(text: str) -> str:
    return EMAIL.sub(MASK, DIGITS.sub(MASK, text or ""))


def rectified(organisation: Organisation | None, month: dt.date) -> list[dict[str, Any]]:
    """The 差评 rectified (整改办结) in ``month`` in the subtree — nothing personal (module doc)."""
    start = timezone.make_aware(dt.datetime.combine(month, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(periods.following(month), dt.time()))
    rows = Rectification.objects.filter(
        status=RectificationStatus.CLOSED,
        closed_at__gte=start,
        closed_at__lt=end,
        rating__set_aside=False,
    )
    if organisation is not None:
        rows = rows.filter(scope_path__startswith=organisation.path)
    rows = list(
        rows.select_related("rating", "organisation")
        .only(
            "closed_at",
            "outcome",
            "organisation__name",
            "rating__level",
            "rating__stage",
            "rating__item_code",
            "rating__subject_kind",
        )
        .order_by("-closed_at", "-id")[:100]
    )
    codes = {r.rating.item_code for r in rows if r.rating.item_code}
    names = dict(CatalogueItem.objects.filter(basic_code__in=codes).values_list("basic_code", "name"))
    return [
        {
            "closed_on": timezone.localtime(r.closed_at).date(),
            "item": names.get(r.rating.item_code) or SubjectKind(r.rating.subject_kind).label,
            "level": r.rating.get_level_display(),
            "stage": r.rating.stage or "—",
            "organisation": r.organisation.name,
            "outcome": mask(r.outcome) or "已整改",
        }
        for r in rows
    ]
