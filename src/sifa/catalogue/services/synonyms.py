"""Commands on the search synonym list (检索同义词): add a word for an item, remove it, seed the
shipped list. Each is atomic and audited (``catalogue.synonym.add`` / ``.remove``; the seed, a
platform act, is one ``catalogue.synonym.seed`` event).

Permission: a synonym leads searchers to an item, so only those who may author that item (its
owner's catalogue admins, those above, superusers — ``can_author``) may add or remove one.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from sifa.audit.services import record
from sifa.catalogue.data.synonyms import SYNONYMS
from sifa.catalogue.identifiers import validate_basic_code
from sifa.catalogue.models import CatalogueItem, SearchSynonym
from sifa.catalogue.models.synonyms import TERM_MAX_LENGTH
from sifa.catalogue.services.items import can_author
from sifa.catalogue.services.pages import changed
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.organisations.models import Role

_SPACES = re.compile(r"\s+")


def normalize_term(term: str) -> str:
    """How a word is stored and looked up: inner runs of spaces dropped, outer ones stripped."""
    return _SPACES.sub("", term or "")


def _invalid(field: str, code: str, message: str) -> ServiceError:
    return ServiceError(code, message, errors=[{"field": field, "code": code, "message": message}])


def _audit(action: str, user: Any, synonym: SearchSynonym) -> None:
    changed()
    record(
        f"catalogue.synonym.{action}",
        actor=user,
        organisation=synonym.item.owner,
        role=Role.CATALOGUE_ADMIN,
        subject=synonym,
        detail={"term": synonym.term, "item": synonym.item.basic_code},
        scope_path=synonym.item.owner.path,
    )


@transaction.atomic
def add_synonym(user: Any, *, term: str, item_code: str) -> SearchSynonym:
    """Say that people who type ``term`` mean the item ``item_code`` (基本编码)."""
    word = normalize_term(term)
    if not word:
        raise _invalid("term", "catalogue.synonym.term_required", "请填写群众常用说法，如“律师证”")
    if len(word) > TERM_MAX_LENGTH:
        raise _invalid(
            "term", "catalogue.synonym.term_too_long", f"群众常用说法不能超过{TERM_MAX_LENGTH}个字"
        )
    try:
        code = validate_basic_code((item_code or "").strip())
    except IdentifierError:
        raise _invalid("item_code", "catalogue.synonym.item_code", "事项基本编码格式不正确") from None
    item = CatalogueItem.objects.select_related("owner").filter(basic_code=code).first()
    if item is None:
        raise NotFound("未找到该基本编码对应的事项", code="catalogue.item_not_found")
    if not can_author(user, item.owner):
        raise Forbidden(
            "只有事项所属机构或上级机构的事项管理员才能为该事项添加常用说法",
            code="catalogue.permission_denied",
        )
    if SearchSynonym.objects.filter(term=word, item=item).exists():
        raise Conflict("catalogue.synonym.exists", f"“{word}”已指向{item.name}")
    synonym = SearchSynonym.objects.create(term=word, item=item)
    _audit("add", user, synonym)
    return synonym


@transaction.atomic
def remove_synonym(user: Any, synonym: SearchSynonym) -> None:
    if not can_author(user, synonym.item.owner):
        raise Forbidden(
            "只有事项所属机构或上级机构的事项管理员才能删除该事项的常用说法",
            code="catalogue.permission_denied",
        )
    _audit("remove", user, synonym)
    synonym.delete()


@transaction.atomic
def seed_synonyms(pairs: list[tuple[str, str]] = SYNONYMS) -> int:
    """The shipped words, into an empty list only (the list then belongs to the admins); pairs whose
    item is not in the catalogue are skipped. Returns the number of words added."""
    if SearchSynonym.objects.exists():
        return 0
    items = {i.name: i for i in CatalogueItem.objects.filter(name__in={name for _, name in pairs})}
    rows = [
        SearchSynonym(term=normalize_term(term), item=items[name]) for term, name in pairs if name in items
    ]
    SearchSynonym.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        changed()
        record(
            "catalogue.synonym.seed",
            subject=SearchSynonym,
            detail={"count": len(rows)},
        )
    return len(rows)
