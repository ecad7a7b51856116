"""A draft's materials: which the version asks for under the 情形 answers, which are live, which are
missing, and the ones satisfied from once-only sources (e-licences, earlier applications, partners)
before they are asked for."""

from __future__ import annotations

import json
import logging
import uuid

from django.db import DEFAULT_DB_ALIAS, connections

from sifa.accounts.models import AccountKind, NaturalPerson
from sifa.applications.models import Application, ApplicationMaterial, MaterialProvenance
from sifa.applications.onceonly import registry, subject_material
from sifa.catalogue.models import ItemVersion, LicenceEffect, Material
from sifa.core.db import FixedInsert, PreparedQuery, fixed_cursor
from sifa.core.errors import Conflict

logger = logging.getLogger("sifa.applications")


def applicable_materials(version: ItemVersion, situation_answers: dict[str, str]) -> list[Material]:
    """The version's materials asked for under these 情形 answers (required and optional)."""
    return [m for m in version.materials.all() if m.applies_to(situation_answers or {})]


def applicable_to(application: Application) -> list[Material]:
    """:func:`applicable_materials` for the application's version and 情形 answers, evaluated once
    per instance (a command's checks and its answer each ask; the answers may change in between,
    so they key the memo)."""
    key = (
        application.version_id,
        json.dumps(application.situation_answers or {}, sort_keys=True, default=str),
    )
    memo = application.__dict__.get("_applicable")
    if memo is None or memo[0] != key:
        memo = (key, applicable_materials(application.version, application.situation_answers))
        application.__dict__["_applicable"] = memo
    return memo[1]


def current_materials(application: Application) -> dict[int, ApplicationMaterial]:
    """The live (not superseded) material per catalogue material.

    :func:`resolve_once_only` leaves what it read and inserted on the instance, so the checks and
    the answer after it in the same command read them once; :func:`forget_materials` drops it
    (an upload through another instance)."""
    known = application.__dict__.get("_live_materials")
    if known is not None:
        return dict(known)
    pk = application.pk if isinstance(application.pk, uuid.UUID) else uuid.UUID(str(application.pk))
    rows = _LIVE_MATERIALS.rows(pk)
    back = ApplicationMaterial._meta.get_field("application")
    for row in rows:
        back.set_cached_value(row, application)  # as the related manager leaves it
    return {m.material_id: m for m in rows}


_LIVE_MATERIALS = PreparedQuery(
    lambda pk: ApplicationMaterial.objects.filter(application_id=pk, superseded=False),
    uuid.UUID(int=0x5A1F_A000_0000_4000_8000_0000_0000_0002),
)
"""``application.materials.filter(superseded=False)``, compiled once per database (the same
statement and instances; building it was a sixth of the submit's CPU under the write lock)."""


def forget_materials(application: Application) -> None:
    application.__dict__.pop("_live_materials", None)


def missing_material_errors(application: Application) -> list[dict[str, str]]:
    have = current_materials(application)
    return [
        {
            "field": f"materials.{m.pk}",
            "code": "material.missing",
            "message": f"请提交材料：{m.name}",
        }
        for m in applicable_to(application)
        if m.necessity == "required" and m.pk not in have
    ]


def resolve_once_only(
    application: Application,
    *,
    ask_partners: bool = True,
    held: dict[int, ApplicationMaterial] | None = None,
    read: dict | None = None,
) -> list[ApplicationMaterial]:
    """Satisfy applicable materials from once-only sources before they are asked for.

    A source that does not satisfy a material may say why (a partner down, a negative answer, no
    consent): the reason is kept in ``application.once_only_notices`` (by material id) and shown
    next to the material. A negative answer (``declined``) is not asked again for this draft
    (each query discloses the applicant's data); a partner that was down is asked again.

    ``ask_partners=False`` leaves the ``partner`` slot out: :func:`submit` does, because a submit
    that is refused (a missing material) rolls back, and a query made in it would have disclosed
    the applicant's data to the partner with its log and tracker rows rolled back too. Partners
    are asked when the draft is saved and when the consent is given (or confirmed again).

    ``held``: the application's live materials when the caller knows them (a draft just created
    holds none); read otherwise. ``read``: the read-only sources' answers the caller read before
    its transaction (``registry.read_ahead``)."""
    forget_materials(application)
    have = dict(held) if held is not None else current_materials(application)
    notices = dict(application.once_only_notices or {})
    added = []
    wanted = []
    for material in applicable_to(application):
        key = str(material.pk)
        if material.pk in have:
            notices.pop(key, None)
        elif notices.get(key, {}).get("code") != "declined":
            wanted.append(material)
    # Every source asked for all the wanted materials at once where it can (the applicant's
    # earlier applications: one query), in the providers' order per material.
    answers = registry.lookup_all(
        application, wanted, without=() if ask_partners else ("partner",), read=read
    )
    for material in wanted:
        key = str(material.pk)
        found, notice = answers[material.pk]
        if notice is not None:
            notices[key] = notice
        elif ask_partners:
            notices.pop(key, None)
        if found is None:
            continue
        if found.provenance == MaterialProvenance.PARTNER and not found.is_answered_partner_data:
            # Nothing is labelled 部门共享数据 without the partner's answer on record: ask for it.
            logger.warning("部门共享数据未返回应答编号或应答时间，材料“%s”改为由申请人提交", material.name)
            continue
        added.append(
            ApplicationMaterial(
                application=application,
                material=material,
                provenance=found.provenance,
                source_reference=found.source_reference[:200],
                source_label=found.source_label[:200],
                valid_until=found.valid_until,
                storage_key=found.storage_key,
                display_name=found.display_name,
                content_type=found.content_type,
                size=found.size,
                sm3=found.sm3,
                partner_answer_id=found.answer_id[:100],
                partner_answered_at=found.answered_at,
            )
        )
    if added:
        # One INSERT for all of them (the sources exclude this application, so nothing read above
        # depends on these rows); no receiver listens to ApplicationMaterial saves.
        _insert_materials(added)
    application.__dict__["_live_materials"] = {**have, **{row.material_id: row for row in added}}
    if notices != (application.once_only_notices or {}):
        Application.objects.filter(pk=application.pk).update(once_only_notices=notices)
        application.once_only_notices = notices
    return added


_MATERIAL = FixedInsert(ApplicationMaterial, with_pk=True)


def _insert_materials(rows: list[ApplicationMaterial]) -> None:
    """``ApplicationMaterial.objects.bulk_create(rows)`` (the keys are set: UUIDs made with the
    instances; no save override) as one ``executemany`` of a statement built once per database,
    each value prepared as that insert prepares it (``auto_now_add`` stamps each row)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    with fixed_cursor(db) as cursor:
        cursor.executemany(_MATERIAL.sql(db), [_MATERIAL.params(row, db) for row in rows])
    for row in rows:
        _MATERIAL.saved(row, None, db)


def require_subject_licence(application: Application) -> None:
    """A 换发/注销 application needs the licence it acts on, from the wallet: 409
    ``application.no_current_licence`` otherwise (nothing is written; the caller's transaction
    rolls back)."""
    have = current_materials(application)
    for material in applicable_to(application):
        if not subject_material(application, material):
            continue
        row = have.get(material.pk)
        if row is None or row.provenance != MaterialProvenance.LICENCE:
            issuer = application.entry.deciding_organisation.name
            raise Conflict(
                "application.no_current_licence",
                f"电子证照库中没有您持有的、由{issuer}颁发的有效{material.name}，不能申请"
                f"{application.version.item.name}。持有纸质证书的，请先由颁发机关将其录入电子证照库",
            )


def refuse_a_second_licence(application: Application) -> None:
    """The one-licence rule at application (律师法 §10: 律师只能在一个律师事务所执业): an item that
    issues a new licence of a type its holder holds one of at a time (律师执业证, 律师事务所执业许可证)
    is refused to an applicant already holding a valid one — 409 ``application.licence_already_held``
    naming it and what to apply for instead (a change, 换发), before anyone decides a case whose
    licence could not be issued. Asked of the ``licence`` once-only slot (``held``), which reads
    nothing for the other items; a licence no longer in force (注销, 吊销, expired) does not count; a suspended one (停止执业) does."""
    if (application.version.licence_effect or LicenceEffect.ISSUE) != LicenceEffect.ISSUE:
        return  # a change, renewal or cancellation acts on the licence held
    held = getattr(registry.get("licence"), "held", None)
    found = held(application) if held is not None else None
    if found is not None:
        raise Conflict("application.licence_already_held", licence_already_held_message(application, found))


def licence_already_held_message(application: Application, held) -> str:
    """The refusal the applicant (or the clerk or agent for them) reads."""
    return (
        f"{held.holder_name}已持有{held.description or held.name + '（编号' + held.number + '）'}，"
        f"不能再申请“{application.entry.item.name}”：{held.reason}"
    )


def second_licence_refusal(entry, applicant) -> str:
    """What :func:`refuse_a_second_licence` would answer ``applicant`` (an account) starting a draft
    for ``entry``, or ``""``: the portal's start page says it before the applicant fills anything in."""
    version = entry.version
    if (version.licence_effect or LicenceEffect.ISSUE) != LicenceEffect.ISSUE:
        return ""
    held = getattr(registry.get("licence"), "held", None)
    if held is None:
        return ""
    application = Application(entry=entry, version=version, applicant=applicant)
    if applicant.kind == AccountKind.COMPANY:
        application.applicant_company = getattr(applicant, "company", None)
    else:
        application.applicant_person_id = (
            NaturalPerson.objects.filter(user=applicant).values_list("pk", flat=True).first()
        )
    found = held(application)
    return licence_already_held_message(application, found) if found is not None else ""
