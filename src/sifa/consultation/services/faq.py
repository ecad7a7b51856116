"""The knowledge base (常见问题), kept by consultants: create, update, publish, withdraw, and the
starter national entries (``sifa load-faq``).

Who curates: users with the 法律咨询人员 or 监督人员 role. An organisation's own entries are kept by
the consultants of that organisation and of those above it; the national entries
(``organisation=None``) by consultants of the ministry or of a province-level bureau, and by a
superuser. Each command validates every field at once (one 400 listing them all), resolves the
cited articles in the law library (an unresolved citation is named in the 400), checks the catalogue
items by their 基本编码, fills ``search_text`` with the jieba words of question, keywords and answer,
and writes its audit event in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.catalogue.models import CatalogueItem
from sifa.consultation.models import Category, Faq, FaqCitation, FaqItem, FaqStatus
from sifa.consultation.services import citations as citations_module
from sifa.consultation.services.citations import Cited, as_list
from sifa.consultation.services.common import audit, invalid, problem
from sifa.core.errors import Conflict, Forbidden
from sifa.core.segmentation import segment
from sifa.organisations.models import Organisation, OrganisationLevel
from sifa.organisations.scope import actor_for

CURATOR_ROLES = ("consultant", "supervisor")
"""法律咨询人员 and 监督人员 (``organisations.models.Role`` values)."""
QUESTION_LENGTH = (5, 200)
ANSWER_LENGTH = (10, 5000)
KEYWORDS_LENGTH = 200
MAX_ITEMS = 10
STARTER_FILE = Path(__file__).resolve().parent.parent / "data" / "faq.json"


def _national_curator(actor: Any) -> bool:
    ids = [org_id for org_id, _path, role in actor.memberships if role in CURATOR_ROLES]
    return (
        bool(ids)
        and Organisation.objects.filter(
            pk__in=ids, is_active=True, level__lte=OrganisationLevel.PROVINCE
        ).exists()
    )


def can_curate(user: Any, organisation: Organisation | None) -> bool:
    """May ``user`` keep the entries of ``organisation`` (``None``: the national knowledge base)?"""
    actor = actor_for(user)
    if actor.is_superuser:
        return True
    if organisation is None:
        return _national_curator(actor)
    return any(organisation.path.startswith(p) for p in actor.paths_for(CURATOR_ROLES))


def curated_organisations(user: Any) -> tuple[bool, list[Organisation]]:
    """Whether ``user`` keeps the national entries, and the organisations they keep entries for
    (those where they hold a curator role; entries of the organisations below are reached from
    there)."""
    actor = actor_for(user)
    ids = [org_id for org_id, _path, role in actor.memberships if role in CURATOR_ROLES]
    orgs = list(Organisation.objects.filter(pk__in=ids, is_active=True).order_by("path"))
    return can_curate(user, None), orgs


def _require_curator(user: Any, organisation: Organisation | None) -> None:
    if not can_curate(user, organisation):
        if organisation is None:
            raise Forbidden(
                "只有司法部或省级司法行政机关的法律咨询人员可以维护全国常见问题", "consultation.not_curator"
            )
        raise Forbidden(
            f"只有{organisation.name}或其上级机关的法律咨询人员可以维护其常见问题", "consultation.not_curator"
        )


def _check_items(codes: list[str], errors: list[dict[str, str]]) -> list[str]:
    codes = list(dict.fromkeys(codes))
    known = set(CatalogueItem.objects.filter(basic_code__in=codes).values_list("basic_code", flat=True))
    for code in codes:
        if code not in known:
            errors.append(problem("item_codes", "item_unknown", f"事项目录中没有基本编码为“{code}”的事项"))
    if len(codes) > MAX_ITEMS:
        errors.append(problem("item_codes", "too_many_items", f"关联的事项不能超过{MAX_ITEMS}项"))
    return [c for c in codes if c in known]


@dataclass
class _Fields:
    question: str
    answer: str
    category: str
    keywords: str
    citations: list[Cited]
    item_codes: list[str]


def _validate(
    *,
    question: str,
    answer: str,
    category: str,
    keywords: str,
    citations: str | Iterable[str] | None,
    item_codes: str | Iterable[str] | None,
) -> _Fields:
    question, answer = str(question or "").strip(), str(answer or "").strip()
    keywords = " ".join(str(keywords or "").replace("，", " ").replace(",", " ").replace("、", " ").split())
    errors: list[dict[str, str]] = []
    low, high = QUESTION_LENGTH
    if not low <= len(question) <= high:
        errors.append(problem("question", "question_length", f"请填写问题（{low}至{high}字）"))
    low, high = ANSWER_LENGTH
    if not low <= len(answer) <= high:
        errors.append(problem("answer", "answer_length", f"请填写解答（{low}至{high}字）"))
    if category not in Category.values:
        errors.append(problem("category", "bad_category", "请选择咨询类别"))
    if len(keywords) > KEYWORDS_LENGTH:
        errors.append(problem("keywords", "keywords_too_long", f"关键词不能超过{KEYWORDS_LENGTH}字"))
    resolved = citations_module.resolve(as_list(citations), errors)
    codes = _check_items(as_list(item_codes), errors)
    if errors:
        raise invalid(errors)
    return _Fields(question, answer, category, keywords, resolved, codes)


def search_words(question: str, keywords: str, answer: str) -> str:
    """The indexed words, space-padded so that a word can be matched as `` word ``."""
    return f" {segment(chr(10).join((question, keywords, answer)))} "


def _store(faq: Faq, fields: _Fields) -> None:
    faq.question, faq.answer, faq.category, faq.keywords = (
        fields.question,
        fields.answer,
        fields.category,
        fields.keywords,
    )
    faq.search_text = search_words(fields.question, fields.keywords, fields.answer)
    faq.updated_at = timezone.now()
    faq.save()
    faq.citations.all().delete()
    FaqCitation.objects.bulk_create(
        FaqCitation(
            faq=faq, statute_slug=c.statute_slug, article_key=c.article_key, label=c.label, position=i
        )
        for i, c in enumerate(fields.citations)
    )
    faq.items.all().delete()
    FaqItem.objects.bulk_create(
        FaqItem(faq=faq, item_code=code, position=i) for i, code in enumerate(fields.item_codes)
    )


def _scope_path(faq: Faq) -> str:
    return faq.organisation.path if faq.organisation_id else ""


def _detail(faq: Faq, fields: _Fields | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"question": faq.question, "status": faq.status}
    if fields is not None:
        detail.update(
            category=fields.category,
            citations=[c.label for c in fields.citations],
            item_codes=fields.item_codes,
        )
    return detail


@transaction.atomic
def create_faq(
    user: Any,
    *,
    question: str,
    answer: str,
    category: str,
    keywords: str = "",
    citations: str | Iterable[str] | None = None,
    item_codes: str | Iterable[str] | None = None,
    organisation: Organisation | None = None,
) -> Faq:
    """A new entry, as a draft (``publish_faq`` shows it to the public)."""
    _require_curator(user, organisation)
    fields = _validate(
        question=question,
        answer=answer,
        category=category,
        keywords=keywords,
        citations=citations,
        item_codes=item_codes,
    )
    faq = Faq(organisation=organisation, created_by=user if getattr(user, "pk", None) else None)
    _store(faq, fields)
    audit(
        "faq.create",
        user,
        organisation=organisation,
        subject=faq,
        scope_path=_scope_path(faq),
        detail=_detail(faq, fields),
    )
    return faq


@transaction.atomic
def update_faq(
    user: Any,
    faq: Faq,
    *,
    question: str,
    answer: str,
    category: str,
    keywords: str = "",
    citations: str | Iterable[str] | None = None,
    item_codes: str | Iterable[str] | None = None,
) -> Faq:
    """Replace the question, answer, category, keywords, citations and items (a published entry
    stays published and shows the new text at once)."""
    faq = Faq.objects.select_for_update().get(pk=faq.pk)
    _require_curator(user, faq.organisation)
    fields = _validate(
        question=question,
        answer=answer,
        category=category,
        keywords=keywords,
        citations=citations,
        item_codes=item_codes,
    )
    _store(faq, fields)
    audit(
        "faq.update",
        user,
        organisation=faq.organisation,
        subject=faq,
        scope_path=_scope_path(faq),
        detail=_detail(faq, fields),
    )
    return faq


@transaction.atomic
def publish_faq(user: Any, faq: Faq) -> Faq:
    """Show the entry to the public (a draft or a withdrawn entry)."""
    faq = Faq.objects.select_for_update().get(pk=faq.pk)
    _require_curator(user, faq.organisation)
    if faq.status == FaqStatus.PUBLISHED:
        raise Conflict("consultation.already_published", "该常见问题已经发布")
    faq.status = FaqStatus.PUBLISHED
    faq.published_at = faq.updated_at = timezone.now()
    faq.save(update_fields=["status", "published_at", "updated_at"])
    audit(
        "faq.publish",
        user,
        organisation=faq.organisation,
        subject=faq,
        scope_path=_scope_path(faq),
        detail=_detail(faq),
    )
    return faq


@transaction.atomic
def withdraw_faq(user: Any, faq: Faq) -> Faq:
    """Take a published entry off the public pages (it can be published again)."""
    faq = Faq.objects.select_for_update().get(pk=faq.pk)
    _require_curator(user, faq.organisation)
    if faq.status != FaqStatus.PUBLISHED:
        raise Conflict("consultation.not_published", "只能撤下已发布的常见问题")
    faq.status = FaqStatus.WITHDRAWN
    faq.updated_at = timezone.now()
    faq.save(update_fields=["status", "updated_at"])
    audit(
        "faq.withdraw",
        user,
        organisation=faq.organisation,
        subject=faq,
        scope_path=_scope_path(faq),
        detail=_detail(faq),
    )
    return faq


# --- the starter national knowledge base ------------------------------------------------------


@dataclass
class LoadResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def starter_entries(path: Path = STARTER_FILE) -> list[dict[str, Any]]:
    """The entries of the starter file: ``key`` (stable), question, answer, category, keywords,
    citations, item_codes."""
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


@transaction.atomic
def load_starter_faq(path: Path = STARTER_FILE) -> LoadResult:
    """Create or refresh the national starter entries; re-runnable. Each is found again by its
    stable ``key`` (``Faq.source_key``). A new entry is published at once; an existing one is
    rewritten only when the file says something else than the row (so the starter entries follow
    the file), and keeps its status (a withdrawn one stays withdrawn)."""
    result = LoadResult([], [], [])
    for spec in starter_entries(path):
        fields = _validate(
            question=spec["question"],
            answer=spec["answer"],
            category=spec["category"],
            keywords=spec.get("keywords", ""),
            citations=spec.get("citations", []),
            item_codes=spec.get("item_codes", []),
        )
        faq = Faq.objects.filter(source_key=spec["key"]).first()
        if faq is None:
            faq = Faq(organisation=None, source_key=spec["key"])
            _store(faq, fields)
            faq.status, faq.published_at = FaqStatus.PUBLISHED, timezone.now()
            faq.save(update_fields=["status", "published_at"])
            audit(
                "faq.load", None, organisation=None, subject=faq, scope_path="", detail=_detail(faq, fields)
            )
            result.created.append(spec["key"])
            continue
        before = (faq.question, faq.answer, faq.category, faq.keywords, _stored_refs(faq))
        after = (
            fields.question,
            fields.answer,
            fields.category,
            fields.keywords,
            ([(c.statute_slug, c.article_key) for c in fields.citations], fields.item_codes),
        )
        if before == after:
            result.unchanged.append(spec["key"])
            continue
        _store(faq, fields)
        audit("faq.load", None, organisation=None, subject=faq, scope_path="", detail=_detail(faq, fields))
        result.updated.append(spec["key"])
    return result


def _stored_refs(faq: Faq) -> tuple[list[tuple[str, str]], list[str]]:
    return (
        [(c.statute_slug, c.article_key) for c in faq.citations.order_by("position")],
        [i.item_code for i in faq.items.order_by("position")],
    )
