"""机关代字: the prefix of an organisation's document numbers (GB/T 9704-2012 §7.2.5).

A 发文字号 is 发文机关代字 + 〔年份〕 + 发文顺序号 (``浙司许〔2026〕1号``). Each organisation has its
own 代字 in ``Organisation.document_code``, unique across the platform, so no two organisations
ever issue the same number. ``sifa build-organisations`` derives one for every organisation of
the tree (:func:`sifa.organisations.orgtree.document_code_candidates`); an organisation made
another way gets its derived 代字 when it issues its first document (:func:`ensure_document_code`);
a system administrator sets the organisation's real one with :func:`set_document_code`.
docs/documents.md explains the derivation and its limits.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from sifa.audit.services import record
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.organisations.models import Organisation, Role
from sifa.organisations.orgtree import choose_document_code, document_code_candidates
from sifa.organisations.scope import actor_for
from sifa.organisations.signals import tree_changed

CONFIGURED_MAX_LENGTH = 10
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


def validate_document_code(value: Any) -> str:
    """A configured 代字: 1–10 Chinese characters (no digits, brackets, spaces or 第/号 parts of the
    number), not ending in 不 (``X不`` + 受 would read like ``X`` + 不受)."""
    code = value.strip() if isinstance(value, str) else ""
    if not code:
        raise ServiceError("organisation.document_code_required", "请填写机关代字，如“浙司”")
    if len(code) > CONFIGURED_MAX_LENGTH or not _HAN.match(code):
        raise ServiceError(
            "organisation.document_code_invalid",
            f"机关代字应为1至{CONFIGURED_MAX_LENGTH}个汉字，不含数字、括号、空格或标点，如“浙司”“杭司”",
        )
    if code.endswith("不"):
        raise ServiceError(
            "organisation.document_code_invalid", "机关代字不能以“不”结尾（会与“不受”“不许”等文种字混淆）"
        )
    return code


def _taken_by_other(code: str, organisation_id: int | None) -> bool:
    return Organisation.objects.filter(document_code=code).exclude(pk=organisation_id).exists()


def ensure_document_code(organisation: Organisation) -> str:
    """The organisation's 代字 as stored; derived and stored now if it has none yet. Call inside the
    transaction that issues the document (a command), never from a read: if that transaction
    rolls back, so does the derived code.

    The write is a conditional ``UPDATE … WHERE document_code = ''`` rather than a row lock taken
    up front: concurrent issuers of the same organisation then never hold a lock on the
    organisation while waiting for the number counter (a lock cycle with the foreign-key checks of
    the documents they insert); the loser of the race reads the winner's code.
    """
    stored = Organisation.objects.filter(pk=organisation.pk).values_list("document_code", flat=True).first()
    if stored:
        return stored
    current = Organisation.objects.select_related("region", "parent").get(pk=organisation.pk)
    parent_code = ensure_document_code(current.parent) if current.parent_id else ""
    candidates = document_code_candidates(
        current.kind,
        current.level,
        current.region.name if current.region_id else current.short_name or current.name,
        parent_code,
        current.region_id or "",
    )
    code = choose_document_code(candidates, lambda c: _taken_by_other(c, current.pk))
    if Organisation.objects.filter(pk=current.pk, document_code="").update(document_code=code):
        tree_changed()  # an update sends no post_save
    return Organisation.objects.filter(pk=current.pk).values_list("document_code", flat=True).get()


def can_configure(user: Any, organisation: Organisation) -> bool:
    """System administrators of the organisation or of one above it (and superusers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    actor = actor_for(user)
    return actor.is_superuser or any(
        organisation.path.startswith(path) for path in actor.paths_for([Role.SYSTEM_ADMIN])
    )


def set_document_code(user: Any, organisation_id: int, value: Any) -> Organisation:
    """Set the organisation's own 代字 (e.g. 宁波市司法局 → 甬司). Numbers already issued keep
    their prefix; the sequence goes on (no number is used twice, none is skipped)."""
    code = validate_document_code(value)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
        if organisation is None or not organisation.is_active:
            raise NotFound(f"机构“{organisation_id}”不存在", "organisation.not_found")
        if not can_configure(user, organisation):
            raise Forbidden(
                "只有本机构或上级机构的系统管理员才能设置机关代字", code="organisation.permission_denied"
            )
        previous = organisation.document_code
        if code == previous:
            return organisation
        if _taken_by_other(code, organisation.pk):
            raise _taken(code)
        organisation.document_code = code
        try:
            with transaction.atomic():
                organisation.save(update_fields=["document_code"])
        except IntegrityError:  # a concurrent request took it between the check and the write
            raise _taken(code) from None
        record(
            "organisation.set_document_code",
            actor=user,
            organisation=organisation,
            subject=organisation,
            scope_path=organisation.path,
            detail={"previous": previous, "document_code": code},
        )
    return organisation


def _taken(code: str) -> Conflict:
    holder = Organisation.objects.filter(document_code=code).values_list("name", flat=True).first()
    return Conflict("organisation.document_code_taken", f"机关代字“{code}”已由{holder or '其他机构'}使用")
