"""Apply: start a draft, save it, submit it (validating everything at once), withdraw before acceptance.

A draft pins the implementation entry's current published version. At submission the entry must
still implement that version: if the catalogue moved on, the applicant is told to start again
(409 ``application.stale_version``). We never re-pin silently, because a new version may ask for a
different form or materials and the applicant must see what they are applying under.
"""

from __future__ import annotations

import functools
import logging
import uuid
from contextlib import nullcontext
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from sifa.accounts import consents
from sifa.accounts import selectors as account_selectors
from sifa.accounts.models import AccountKind, NaturalPerson, User
from sifa.accounts.selectors import mandate_for
from sifa.accounts.services import (
    check_consent_shown,
    consent_standing,
    give_consent_at_counter,
    walk_in_company,
    walk_in_person,
)
from sifa.accounts.services.common import FieldErrors
from sifa.applications import query_codes
from sifa.applications.models import (
    Application,
    ApplicationStatus,
    SubmissionChannel,
)
from sifa.applications.onceonly import registry
from sifa.applications.selectors import receiving_window_for
from sifa.applications.services import numbers
from sifa.applications.services.common import (
    INVALID,
    audit,
    clerk_covers,
    invalid,
    item_codes,
    notify_applicant,
    require_actor,
)
from sifa.applications.services.draft_materials import (
    applicable_to,
    missing_material_errors,
    refuse_a_second_licence,
    require_subject_licence,
    resolve_once_only,
)
from sifa.applications.services.timeline import transition
from sifa.catalogue.forms import validate_form
from sifa.catalogue.models import (
    CatalogueItem,
    EntryStatus,
    FormSchema,
    ImplementationEntry,
    ItemVersion,
    Material,
    ProcessDefinition,
    Situation,
    VersionStatus,
)
from sifa.catalogue.processes import require_process
from sifa.core.db import FixedInsert, FixedRows, PreparedQuery, fixed_cursor
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for

logger = logging.getLogger("sifa.applications")

PRE_ACCEPTANCE = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CORRECTION_REQUIRED,
    ApplicationStatus.PENDING_ACCEPTANCE,
)


def _situation_errors(version: ItemVersion, answers: Any) -> list[dict[str, str]]:
    if not isinstance(answers, dict):
        return [{"field": "situation_answers", "code": "situation.invalid", "message": "情形选择格式不正确"}]
    errors = []
    situations = {s.code: s for s in version.situations.all()}
    for code, value in answers.items():
        situation = situations.get(code)
        if situation is None:
            errors.append(
                {
                    "field": f"situation_answers.{code}",
                    "code": "situation.unknown",
                    "message": "不存在该情形问题",
                }
            )
        elif value not in {str(o.get("value")) for o in situation.options}:
            errors.append(
                {
                    "field": f"situation_answers.{code}",
                    "code": "situation.unknown_answer",
                    "message": f"“{situation.question}”的回答不是有效选项",
                }
            )
    for code, situation in situations.items():
        if code not in answers:
            errors.append(
                {
                    "field": f"situation_answers.{code}",
                    "code": "situation.required",
                    "message": f"请回答：{situation.question}",
                }
            )
    return errors


_ENTRY_RELATED = ("version__form", "version__process", "item", "accepting_organisation")
"""What a draft reads of its entry: the version with its form (the form's prefill) and process
(``require_process``), the item, the accepting organisation."""


_ENTRY_ROWS = (
    (FixedRows(ImplementationEntry), "e"),
    (FixedRows(ItemVersion), "v"),
    (FixedRows(FormSchema), "f"),
    (FixedRows(ProcessDefinition), "p"),
    (FixedRows(CatalogueItem), "i"),
    (FixedRows(Organisation), "o"),
)


@functools.cache
def _entry_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    table = {alias: quote(rows.model._meta.db_table) for rows, alias in _ENTRY_ROWS}
    columns = ", ".join(rows.columns(alias) for rows, alias in _ENTRY_ROWS)
    return (
        f"SELECT {columns} FROM {table['e']} e "  # noqa: S608 (names only; the code is a parameter)
        f'INNER JOIN {table["v"]} v ON e."version_id" = v."id" '
        f'LEFT OUTER JOIN {table["f"]} f ON f."version_id" = v."id" '
        f'LEFT OUTER JOIN {table["p"]} p ON p."version_id" = v."id" '
        f'INNER JOIN {table["i"]} i ON e."item_id" = i."id" '
        f'INNER JOIN {table["o"]} o ON e."accepting_organisation_id" = o."id" '
        'WHERE e."implementation_code" = %s'
    )


def entry_for_draft(code: str) -> ImplementationEntry | None:
    """The entry with this 实施编码 and all that :func:`start_draft` reads of it — the version
    with its form (the form's prefill) and process (``require_process``), the item, the accepting
    organisation — in one fixed statement (None when there is none): the same instances
    ``select_related`` would build, without building the query on every draft. :func:`start_draft`
    then does not read the entry again."""
    with fixed_cursor(connection) as cursor:
        cursor.execute(_entry_sql(connection.vendor), [code])
        values = cursor.fetchone()
    if values is None:
        return None
    built = {}
    start = 0
    for rows, alias in _ENTRY_ROWS:
        end = start + len(rows.fields)
        part = values[start:end]
        built[alias] = rows.build(part, connection) if part[0] is not None else None
        start = end
    entry, version = built["e"], built["v"]
    fields = ImplementationEntry._meta
    fields.get_field("version").set_cached_value(entry, version)
    fields.get_field("item").set_cached_value(entry, built["i"])
    fields.get_field("accepting_organisation").set_cached_value(entry, built["o"])
    for name, alias in (("form", "f"), ("process", "p")):
        ItemVersion._meta.get_field(name).set_cached_value(version, built[alias])
        if built[alias] is not None:
            built[alias]._meta.get_field("version").set_cached_value(built[alias], version)
    entry.__dict__["_read_for_draft"] = True
    return entry


def _live_entry(entry: ImplementationEntry) -> ImplementationEntry:
    if not entry.__dict__.pop("_read_for_draft", False):
        entry = ImplementationEntry.objects.select_related(*_ENTRY_RELATED).get(pk=entry.pk)
    if entry.status != EntryStatus.ACTIVE or entry.version.status != VersionStatus.PUBLISHED:
        raise Conflict("application.entry_unavailable", "该事项当前不接受申请")
    # No accepted dead end: a version whose process is not shipped cannot be handled by anyone.
    require_process(entry.version)
    return entry


def _principal(public_id: Any) -> User:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("未找到委托人") from None
    principal = User.objects.filter(public_id=key, kind__in=(AccountKind.PERSON, AccountKind.COMPANY)).first()
    if principal is None:
        raise NotFound("未找到委托人")
    return principal


def _take_walk_in(application: Application, actor: User, walk_in: dict[str, Any]) -> None:
    """一窗受理: the clerk must receive for the accepting organisation (at it, in its subtree or
    above it); the applicant is found by identifier (name must match) or recorded without an
    account. ``walk_in``: ``{kind: person|company, name, id_number | uscc, legal_representative}``."""
    organisation = application.accepting_organisation
    if actor.kind != AccountKind.STAFF or not clerk_covers(actor, organisation.path):
        raise Forbidden(
            f"您的窗口不能受理{organisation.name}的事项：只有受理机构或其上下级机构的窗口工作人员可以代为录入申请",
            "application.not_clerk",
        )
    kind = str(walk_in.get("kind") or AccountKind.PERSON)
    try:
        if kind == AccountKind.COMPANY:
            company = walk_in_company(
                name=walk_in.get("name"),
                uscc=walk_in.get("uscc"),
                legal_representative=walk_in.get("legal_representative"),
                organisation=organisation,
            )
            application.applicant_company, application.applicant = company, company.user
        elif kind == AccountKind.PERSON:
            person = _walk_in_person(walk_in, organisation, actor)
            application.applicant_person, application.applicant = person, person.user
        else:
            raise invalid(
                [
                    {
                        "field": "applicant.kind",
                        "code": "applicant.kind",
                        "message": "申请人类型应为自然人或法人",
                    }
                ]
            )
    except ServiceError as refused:
        if refused.code == INVALID or not refused.errors:
            raise
        raise invalid(refused.errors) from None
    application.channel = SubmissionChannel.WINDOW
    application.receiving_window_id = receiving_window_for(actor_for(actor), organisation.path)


def _walk_in_person(walk_in: dict[str, Any], organisation: Any, actor: User) -> NaturalPerson:
    """The walk-in person, and — when the window's form asked (``id_number_consent`` present: the
    version of the text shown, or empty when the box was not ticked) — the §29 separate consent to
    their 公民身份号码 they gave in person, recorded (channel ``counter``, the clerk as recorder).
    An unticked or stale consent is a field error (``applicant.id_number_consent``) listed with the
    identity's own; nothing is written then."""
    shown = walk_in.get("id_number_consent")
    errors = FieldErrors()
    if shown is not None:
        check_consent_shown(consents.REGISTER_ID_NUMBER, str(shown), errors, "applicant.id_number_consent")
    try:
        person = walk_in_person(
            name=walk_in.get("name"), id_number=walk_in.get("id_number"), organisation=organisation
        )
    except ServiceError as refused:
        if not refused.errors or not errors.items:
            raise
        raise invalid([*refused.errors, *errors.items]) from None
    if shown is None and not consent_standing(person, consents.REGISTER_ID_NUMBER):
        # Not asked (an API caller that left the key out) and never given before: the number is not
        # processed without it (个人信息保护法第二十九条). The person row just made rolls back with
        # the command.
        check_consent_shown(consents.REGISTER_ID_NUMBER, "", errors, "applicant.id_number_consent")
    errors.raise_if_any()
    if shown is not None:
        give_consent_at_counter(person, consents.REGISTER_ID_NUMBER, version=str(shown), recorded_by=actor)
    return person


def start_draft(
    entry: ImplementationEntry,
    *,
    actor: User,
    form_data: dict[str, Any] | None = None,
    situation_answers: dict[str, str] | None = None,
    on_behalf_of: Any = None,
    walk_in: dict[str, Any] | None = None,
    channel: str = SubmissionChannel.ONLINE,
    is_mock: bool = False,
    pickup_window: Any = None,
) -> Application:
    """Start an application for ``entry`` pinned to its current published version.

    The applicant is the caller (citizen or company); or ``on_behalf_of`` (a principal's public id)
    for an agent (person or company) holding a mandate for the item, which the application
    records; or ``walk_in`` (a person or an organisation, see :func:`_take_walk_in`) for a window
    clerk serving a walk-in applicant (一窗受理) at the accepting organisation, its subtree or above.
    ``is_mock`` marks a 模拟办件 filed by ``sifa.inspections`` as its test applicant: from here on it
    is an ordinary online application (docs/inspections.md). ``pickup_window``: the organisation
    (id) whose window the applicant chose to collect the result at (:func:`chosen_pickup_window`).

    The checks and reads come first, outside the transaction that inserts the draft (on SQLite
    every transaction holds the database's one write lock from its start, so reads there make
    every other writer wait); the same reads as inside it on PostgreSQL (each statement sees what
    was committed when it ran). A walk-in may record the person and their consent: then all of it
    is one transaction, as the insert."""
    with transaction.atomic() if walk_in is not None else nullcontext():
        return _start_draft(
            entry,
            actor=actor,
            form_data=form_data,
            situation_answers=situation_answers,
            on_behalf_of=on_behalf_of,
            walk_in=walk_in,
            channel=channel,
            is_mock=is_mock,
            pickup_window=pickup_window,
        )


def _start_draft(
    entry: ImplementationEntry,
    *,
    actor: User,
    form_data: dict[str, Any] | None,
    situation_answers: dict[str, str] | None,
    on_behalf_of: Any,
    walk_in: dict[str, Any] | None,
    channel: str,
    is_mock: bool,
    pickup_window: Any,
) -> Application:
    entry = _live_entry(entry)
    organisation = entry.accepting_organisation
    application = Application(
        entry=entry,
        version=entry.version,
        accepting_organisation=organisation,
        current_organisation=organisation,
        scope_path=organisation.path,
        form_data=form_data or {},
        situation_answers=situation_answers or {},
        submitted_by=actor,
        is_mock=bool(is_mock),
        channel=channel if channel in (SubmissionChannel.ONLINE, SubmissionChannel.MOBILE) else "online",
    )
    if walk_in is not None:
        _take_walk_in(application, actor, walk_in)
    elif on_behalf_of is not None:
        principal = _principal(on_behalf_of)
        mandate = mandate_for(actor, principal, item_codes(entry.item), timezone.localdate())
        if mandate is None:
            raise Forbidden("您没有该申请人办理此事项的有效委托", "application.no_mandate")
        application.applicant, application.agent, application.mandate = principal, actor, mandate
        application.channel = SubmissionChannel.AGENT
    elif actor.kind in (AccountKind.PERSON, AccountKind.COMPANY):
        application.applicant = actor
    else:
        raise Forbidden("工作人员请通过窗口受理为申请人录入申请", "application.not_applicant")
    if application.applicant is not None:
        # The region and the two above it: the address the form is filled with (account_prefill).
        application.applicant_person = (
            NaturalPerson.objects.filter(user=application.applicant)
            .select_related("region__parent__parent")
            .first()
        )
        application.applicant_company = (
            getattr(application.applicant, "company", None)
            if (application.applicant.kind == AccountKind.COMPANY)
            else None
        )
    if (
        walk_in is None
        and application.applicant_person is not None
        and account_selectors.has_withdrawn(application.applicant, consents.REGISTER_ID_NUMBER)
    ):
        # 个人信息保护法 §15: the person withdrew the §29 separate consent to the ID number; online
        # applications rest on it. The window (identity card in hand) stays open.
        raise Conflict(
            "application.id_number_consent_withdrawn",
            "您已撤回处理公民身份号码的同意，不能网上申请。可在“我的—授权与个人数据”重新同意，或到窗口办理",
        )
    # 律师法 §10: told now, not after a decision whose licence could not be issued (one query, only
    # for an item issuing a 律师执业证 or 律师事务所执业许可证).
    refuse_a_second_licence(application)
    errors = []
    if not isinstance(application.form_data, dict):
        errors.append({"field": "form_data", "code": "form.type", "message": "申请表数据格式不正确"})
    if not isinstance(application.situation_answers, dict):
        errors.append(
            {"field": "situation_answers", "code": "situation.invalid", "message": "情形选择格式不正确"}
        )
    if pickup_window not in (None, ""):
        application.pickup_window = chosen_pickup_window(organisation, pickup_window)
    if errors:
        raise invalid(errors)
    if walk_in is None and on_behalf_of is None and application.applicant == actor:
        # Forms that remember: what the account knows fills the form, the answers given win.
        application.form_data = {**account_prefill(application), **application.form_data}
    _materials_once(application)
    # The applicant's earlier applications, read before the write lock (a new draft wants every
    # applicable material); asked in the transaction only after the licence wallet found nothing.
    read = registry.read_ahead(application, applicable_to(application))
    with transaction.atomic():
        _insert(application)
        resolve_once_only(application, held={}, read=read)  # just inserted: it holds no material yet
        require_subject_licence(application)
        audit(
            "draft", application, actor, {"entry": entry.implementation_code, "version": entry.version.number}
        )
    return application


_INSERT = FixedInsert(Application, with_pk=True)


def _insert(application: Application) -> None:
    """``application.save(force_insert=True)`` (``Application`` has no save override and no
    save signals) as one statement built once per database (``FixedInsert``), each value prepared
    as that save prepares it (``created_at``/``updated_at`` stamped on the instance)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    with fixed_cursor(db) as cursor:
        cursor.execute(_INSERT.sql(db), _INSERT.params(application, db))
    _INSERT.saved(application, None, db)


def _region_name(region: Any) -> str:
    """浙江省杭州市西湖区: the names from the province down (a 直辖市 named once)."""
    names: list[str] = []
    while region is not None:
        if region.name not in names:
            names.insert(0, region.name)
        region = region.parent
    return "".join(names)


def _address(person: Any) -> str:
    """浙江省杭州市西湖区 + the account's 详细地址 (北山街道1号); the detail alone when it already
    starts with the region's names (full, or from the city down)."""
    region = _region_name(person.region) if person.region_id else ""
    detail = person.reveal_address()
    if not detail:
        return region
    below_province, unit = "", person.region if person.region_id else None
    while unit is not None and unit.parent_id is not None:
        below_province, unit = unit.name + below_province, unit.parent
    if not region or detail.startswith(region) or (below_province and detail.startswith(below_province)):
        return detail
    return region + detail


def account_prefill(application: Application) -> dict[str, str]:
    """The applicant block of the form from the applicant's own account: a person's name,
    公民身份号码, phone and address — the place they live (常住地区划) followed by the account's
    详细地址 when one was given; a company's name and phone. Only fields the version's form asks
    for; never for an agent or at the window (the person there is someone else)."""
    form = getattr(application.version, "form", None)
    properties = (form.schema.get("properties") or {}) if form is not None else {}
    account = application.applicant
    known: dict[str, str] = {}
    person = application.applicant_person
    if person is not None:
        known["applicant_name"] = person.name
        known["id_number"] = person.reveal_id_number()
        known["address"] = _address(person)
    company = application.applicant_company
    if company is not None:
        known["organisation_name"] = getattr(company, "name", "") or ""
    if account is not None:
        known["phone"] = account.reveal_phone()
    return {key: value for key, value in known.items() if key in properties and value}


PICKUP_WINDOW_MESSAGE = "领取窗口应为受理机构或其下级机构"


def chosen_pickup_window(accepting: Organisation, ref: Any) -> Organisation:
    """领取窗口: the organisation whose window the applicant chose to collect the result at — the
    accepting organisation or an active organisation below it (a county bureau or 司法所 nearer
    home). That window then sees the case at its delivery step only (``workflow.selectors``)."""
    try:
        key = int(str(ref))
    except ValueError:
        key = 0
    chosen = Organisation.objects.filter(pk=key, is_active=True, path__startswith=accepting.path).first()
    if chosen is None:
        raise invalid(
            [
                {
                    "field": "pickup_window",
                    "code": "application.pickup_window",
                    "message": PICKUP_WINDOW_MESSAGE,
                }
            ]
        )
    return chosen


_CHILD_ROWS = {"materials": FixedRows(Material), "situations": FixedRows(Situation)}


@functools.cache
def _children_sql(name: str, vendor: str) -> str:
    rows = _CHILD_ROWS[name]
    table = connection.ops.quote_name(rows.model._meta.db_table)
    # The models' own ordering (version, order, id), for one version.
    return (
        f"SELECT {rows.columns('c')} FROM {table} c "  # noqa: S608 (names only; the id is a parameter)
        'WHERE c."version_id" = %s ORDER BY c."order", c."id"'
    )


def _children_rows(version_id: Any, name: str) -> list:
    rows = _CHILD_ROWS[name]
    with fixed_cursor(connection) as cursor:
        cursor.execute(_children_sql(name, connection.vendor), [version_id])
        return [rows.build(values, connection) for values in cursor.fetchall()]


def _read_children(version: ItemVersion, name: str, *, found: list | None = None) -> None:
    """``version.<name>.all()`` read once with fixed SQL and kept as ``prefetch_related`` keeps it
    (the same instances and order; no query built per request). ``found``: the rows when the
    caller read them already (:func:`read_ahead_for_submit`)."""
    cache = version.__dict__.setdefault("_prefetched_objects_cache", {})
    if name in cache:
        return
    rows = _CHILD_ROWS[name]
    if found is None:
        found = _children_rows(version.pk, name)
    back = rows.model._meta.get_field("version")
    for child in found:
        back.set_cached_value(child, version)
    queryset = getattr(version, name).all()
    queryset._result_cache = found
    queryset._prefetch_done = True
    cache[name] = queryset


_SUBMIT_CHILDREN = ("materials", "situations")


def read_ahead_for_submit(application: Application) -> None:
    """Read the catalogue rows the submit's checks read — the version's materials and 情形
    questions — before its transaction (``application`` as the scoped read gave it, with its
    ``version_id``), so on SQLite they are not read under the write lock every other writer waits
    for. A published version's materials and questions do not change; the submit uses them only
    when the row it locks still has that version (a stale draft is refused before they are used),
    and reads them under the lock otherwise. Only reads: a submit refused or replayed after it
    has written nothing. Also the submit's new query code and its digest (a retry replayed
    discards them)."""
    application.__dict__["_query_code"] = _new_query_code()
    version_id = application.__dict__.get("version_id")
    if version_id is None:
        return
    application.__dict__["_submit_children"] = (
        version_id,
        {name: _children_rows(version_id, name) for name in _SUBMIT_CHILDREN},
    )


def _new_query_code() -> tuple[str, str]:
    code = query_codes.new_query_code()
    return code, query_codes.query_code_digest(code)


def _materials_once(application: Application, *, situations: bool = False, ahead: dict | None = None) -> None:
    """Read the version's catalogue materials once for the checks that follow (each asks
    ``applicable_materials``), and its 情形 questions when ``situations`` (the submit's check);
    a published version's materials and questions do not change. ``ahead``: those rows read
    before the transaction (:func:`read_ahead_for_submit`), for this version."""
    ahead = ahead or {}
    _read_children(application.version, "materials", found=ahead.get("materials"))
    if situations:
        _read_children(application.version, "situations", found=ahead.get("situations"))


def _lock_query(related: tuple[str, ...]) -> PreparedQuery:
    # of=("self",): lock only the application row. Without it PostgreSQL also locks the joined
    # catalogue rows, so every submit for one entry queued on them and deadlocked with the
    # audit-chain lock (found by `make bench` W3). No ordering and no LIMIT: one row by its key.
    return PreparedQuery(
        lambda pk: (
            Application.objects.select_for_update(of=("self",))
            .select_related(*related)
            .filter(pk=pk)
            .order_by()
        ),
        uuid.UUID(int=0x5A1F_A000_0000_4000_8000_0000_0000_0001),
    )


_LOCK_RELATED = ("version", "entry__item", "accepting_organisation__region")
_LOCK = _lock_query(_LOCK_RELATED)
_LOCK_FOR_SUBMIT = _lock_query((*_LOCK_RELATED, "version__form", "version__process"))


def lock(application: Application, *, for_submit: bool = False) -> Application:
    """The application under its row lock, with the version, the entry and its item and the
    accepting organisation and its region. ``for_submit``: also the entry's status and version as
    they are now, and the version's form and process (the submit's checks), in the same statement.

    One statement compiled once per database (``PreparedQuery``): the same instances the
    ``select_related`` query gives, without building its seven joins on every command."""
    pk = application.pk if isinstance(application.pk, uuid.UUID) else uuid.UUID(str(application.pk))
    found = (_LOCK_FOR_SUBMIT if for_submit else _LOCK).rows(pk)
    if not found:
        raise Application.DoesNotExist("Application matching query does not exist.")
    return found[0]


@transaction.atomic
def update_draft(
    application: Application,
    *,
    actor: User,
    form_data: dict[str, Any] | None = None,
    situation_answers: dict[str, str] | None = None,
    pickup_window: Any = None,
) -> Application:
    """Save form data and/or situation answers of a draft (a partial form is fine until submit),
    and the 领取窗口 when ``pickup_window`` is given (an organisation id; ``""`` clears it)."""
    application = lock(application)
    require_actor(actor, application)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict("application.not_draft", "该申请已提交，不能再作为草稿修改")
    errors = []
    if form_data is not None and not isinstance(form_data, dict):
        errors.append({"field": "form_data", "code": "form.type", "message": "申请表数据格式不正确"})
    if situation_answers is not None and not isinstance(situation_answers, dict):
        errors.append(
            {"field": "situation_answers", "code": "situation.invalid", "message": "情形选择格式不正确"}
        )
    if errors:
        raise invalid(errors)
    fields = ["updated_at"]
    if form_data is not None:
        application.form_data = form_data
        fields.append("form_data")
    if situation_answers is not None:
        application.situation_answers = situation_answers
        fields.append("situation_answers")
    if pickup_window is not None:
        application.pickup_window = (
            chosen_pickup_window(application.accepting_organisation, pickup_window)
            if pickup_window != ""
            else None
        )
        fields.append("pickup_window")
    application.save(update_fields=fields)
    resolve_once_only(application)
    audit("draft.update", application, actor, {"fields": fields[1:]})
    return application


def check_complete(application: Application) -> None:
    """Every problem at once: the form, the 情形 answers and the missing materials."""
    version = application.version
    errors = validate_form(version, application.form_data)
    errors += _situation_errors(version, application.situation_answers)
    if not any(e["code"].startswith("situation.") for e in errors):
        errors += missing_material_errors(application)
    if errors:
        raise invalid(errors)


def check_not_stale(application: Application, *, entry: ImplementationEntry | None = None) -> None:
    """``entry``: the application's entry when the caller just read it (in the locking statement:
    as fresh as a read of its own, neither locks the entry); read otherwise."""
    if entry is None:
        entry = ImplementationEntry.objects.only("version_id", "status").get(pk=application.entry_id)
    if entry.version_id != application.version_id:
        raise Conflict(
            "application.stale_version",
            "该事项的办事指南已更新（申请表或材料要求可能变化），本草稿依据的是旧版本，"
            "请按新版指南重新发起申请",
        )
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict("application.entry_unavailable", "该事项当前不接受申请")


def _enqueue_pre_review(application_id: str) -> None:
    from sifa.applications.tasks import enqueue_pre_review

    enqueue_pre_review(application_id)


def submit(application: Application, *, actor: User) -> tuple[Application, str]:
    """Submit a draft: validate everything, number it, start the pre-review after the commit.

    Returns the application and the query code (shown once; only its digest is kept).
    """
    with transaction.atomic():
        return submit_in_transaction(application, actor=actor)


def submit_in_transaction(application: Application, *, actor: User) -> tuple[Application, str]:
    """:func:`submit` inside the caller's transaction, which rolls back as a whole when it fails
    (``idempotent``'s, whose record it answers): no savepoint of its own."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("submit_in_transaction runs inside the caller's transaction")
    read = application.__dict__.get("_submit_children")
    # The query code and its digest (HMAC-SM3), made before the transaction when the caller
    # read ahead (:func:`read_ahead_for_submit`): nothing in them depends on the row.
    code, code_digest = application.__dict__.get("_query_code") or _new_query_code()
    application = lock(application, for_submit=True)
    require_actor(actor, application)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict("application.not_draft", "该申请已提交，请勿重复提交")
    if actor.pk == application.applicant_id:
        application.applicant = actor  # the notification's recipient, not read again
    check_not_stale(application, entry=application.entry)
    require_process(application.version)
    _materials_once(
        application, situations=True, ahead=read[1] if read and read[0] == application.version_id else None
    )
    resolve_once_only(application, ask_partners=False)
    require_subject_licence(application)
    refuse_a_second_licence(application)  # a licence issued or imported since the draft (律师法 §10)
    check_complete(application)
    now = timezone.now()
    organisation = application.accepting_organisation
    transition(
        application,
        status=ApplicationStatus.SUBMITTED,
        event="submitted",
        title="申请已提交",
        detail=f"已收到您的申请材料，受理机构：{organisation.name}",
        organisation=organisation,
        occurred_at=now,
        fields={
            "number": numbers.application_number(organisation, timezone.localdate(now)),
            "query_code_digest": code_digest,
            "submitted_at": now,
            "received_at": now,
        },
    )
    # The notification before the audit event: on PostgreSQL the audit chain's lock, which every
    # writer takes, is then held from the event to the commit only (the rows are the same).
    notify_applicant(application, "application.submitted", {})
    audit("submit", application, actor, {"channel": application.channel})
    transaction.on_commit(functools.partial(_enqueue_pre_review, str(application.pk)))
    return application, code


@transaction.atomic
def withdraw(application: Application, actor: User, *, reason: str = "") -> Application:
    """Withdrawal by the applicant before acceptance (after it, ``sifa.workflow`` handles it); a
    window clerk records a walk-in's withdrawal at the window that received it, with the reason
    the applicant gave (``reason``: on the timeline and in the audit event's detail)."""
    application = lock(application)
    require_actor(actor, application)
    if application.status not in PRE_ACCEPTANCE:
        raise Conflict("application.withdraw_after_acceptance", "该申请已受理，请通过办件撤回申请办理")
    reason = str(reason or "").strip()[:200]
    transition(
        application,
        status=ApplicationStatus.WITHDRAWN,
        event="withdrawn",
        title="申请人已撤回申请",
        detail=f"撤回理由：{reason}" if reason else "",
        organisation=application.accepting_organisation,
        fields={"closed_at": timezone.now()},
    )
    audit("withdraw", application, actor, {"reason": reason} if reason else None)
    return application
