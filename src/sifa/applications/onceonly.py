"""Once-only (一次不跑、数据多跑路; 国务院令716 §7): before asking for a material, look it up.

Each outside source is a :class:`OnceOnlyProvider` in :data:`registry` (a
:class:`~sifa.core.registry.Registry` with slots ``licence``, ``previous``, ``partner``), asked in
that order; the first
:class:`Found` satisfies the material, which is then recorded with its provenance and a label the
applicant reads, and is not requested. A provider that is down raises :class:`ProviderUnavailable`;
the material is then simply asked for (never a failed application because a partner is offline).

Hooks:

* ``LicenceWalletProvider`` looks in the applicant's e-licence wallet (``sifa.licences`` registers
  its provider with ``registry.replace("licence", …)`` in its ``AppConfig.ready``). Its ``held``
  answers the one-licence rule at application (律师法 §10): the valid licence the applicant
  already holds of the type the item would issue (``services.draft_materials.refuse_a_second_licence``).
* ``PartnerDataProvider`` asks a partner agency (公安, 教育, …) and must return a :class:`Found`
  carrying the partner's answer: ``answer_id`` and ``answered_at``. A partner-sourced ``Found``
  without them is never recorded (the material is asked for), so nothing is labelled
  公安/教育部门共享数据 unless a partner answered. The exchange module plugs its gateway in with
  ``registry.replace("partner", …)``. :class:`ConfiguredPartnerData` fills it: with
  ``SIFA_PARTNER_DATA=exchange`` it asks the police partner over the signed exchange, with the
  applicant's consent (:mod:`sifa.applications.partner_data`).

A provider that does not satisfy a material may say why (:class:`OnceOnlyNotice`:
:class:`ProviderUnavailable` — the partner is down, ask again later; :class:`Unsatisfied` — it
answered, but the answer does not do, or the applicant did not consent); the reason is kept on the
application (``once_only_notices``) and shown next to the material.

Honesty switch (``SIFA_PARTNER_DATA``, docs/configuration.md): without a partner adapter — the
production default — the slot answers nothing and partner-sourced materials
are requested from the applicant. ``simulated`` lets the stand-in answer, and settings refuse it
unless the deployment is a development/demo one (``SIFA_DEBUG``) or the test suite; its answers are
labelled 演示模拟 and carry a ``SIM-`` answer id.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from django.conf import settings
from django.db import connection
from django.utils import timezone

from sifa.applications.models import Application, ApplicationMaterial, ApplicationStatus, MaterialProvenance
from sifa.catalogue.models import LicenceEffect, Material
from sifa.core.db import FixedRows
from sifa.core.registry import Registry

PREVIOUS_MATERIAL_MAX_AGE_DAYS = 180
"""A reused upload without its own expiry date is trusted for this long (then asked for again)."""


@dataclass(frozen=True)
class Found:
    provenance: str
    source_reference: str
    source_label: str
    valid_until: dt.date | None = None
    storage_key: str = ""
    display_name: str = ""
    content_type: str = ""
    size: int = 0
    sm3: str = ""
    answer_id: str = ""
    """The partner's id of its answer (message id); required for partner data."""
    answered_at: dt.datetime | None = None
    """When the partner answered; required for partner data."""

    @property
    def is_answered_partner_data(self) -> bool:
        return (
            self.provenance == MaterialProvenance.PARTNER
            and bool(self.answer_id)
            and self.answered_at is not None
        )


class OnceOnlyNotice(Exception):
    """A source did not satisfy the material, with a reason the applicant reads in the checklist.

    ``code`` is stable (``exchange.partner_timeout``, ``declined``, ``no_consent`` …); ``message``
    is the Chinese sentence shown next to the material."""

    kind = "notice"

    def __init__(self, code: str = "", message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message

    def as_notice(self) -> dict[str, str]:
        return {"kind": self.kind, "code": self.code, "message": self.message}


class ProviderUnavailable(OnceOnlyNotice):
    """The outside source could not answer now; the material is asked for instead (the next save
    or the submit asks again)."""

    kind = "unavailable"


class Unsatisfied(OnceOnlyNotice):
    """The source answered, but its answer does not satisfy the material (the police found no
    match, or a record; no consent to ask): the applicant uploads it. Not asked again for this draft
    unless the consent changes."""

    kind = "declined"


class OnceOnlyProvider(Protocol):
    def find(self, application: Application, material) -> Found | None:
        """A source that satisfies ``material`` (a catalogue ``Material``) for this application."""


@dataclass(frozen=True)
class HeldLicence:
    """A licence still in force (有效 or 停止执业) the applicant already holds of a type one holds
    one of at a time (律师法 §10), which the item applied for would issue again: what the refusal
    names."""

    name: str
    number: str
    issuer_name: str
    holder_name: str
    reason: str
    """Why one at a time, with the article, and what to apply for instead (Chinese)."""
    description: str = ""
    """The licence as the refusal names it: “律师执业证（编号…，浙江省司法厅颁发，状态：有效）”."""


class LicenceWalletProvider(OnceOnlyProvider, Protocol):
    """Looks up ``material.satisfiable_by_licence_type`` in the applicant's e-licence wallet."""

    def held(self, application: Application) -> HeldLicence | None:
        """The valid licence the applicant already holds of the one-per-holder type the
        application's item would issue (its ``licence_effect`` is ``issue``), or None. Reads
        nothing for an item whose result is not such a licence."""


class PartnerDataProvider(OnceOnlyProvider, Protocol):
    """Asks a partner agency for ``material.satisfiable_by_partner_data``."""


class EmptyLicenceWallet:
    """Keeps the wallet's place (asked first) until ``sifa.licences`` fills the ``licence`` slot
    in its ``AppConfig.ready``; by itself it finds nothing."""

    def find(self, application: Application, material) -> Found | None:
        return None

    def held(self, application: Application) -> HeldLicence | None:
        return None


class PreviousApplications:
    """A still-valid uploaded material of the same name from the applicant's earlier application.

    :meth:`find_many` answers for all of a draft's materials in one query (the draft asks it);
    :meth:`find` asks for one."""

    def find(self, application: Application, material) -> Found | None:
        return self.find_many(application, [material]).get(material.pk)

    def find_many(self, application: Application, materials) -> dict[int, Found | None]:
        """Per material (by id): the most recent still-valid upload or window scan of a material of
        the same name in one of the applicant's earlier submitted (not withdrawn) applications, or
        None. One query for all of them: per name, the newest fresh row (a correlated subquery)."""
        materials = list(materials)
        owner = _owner_filter(application)
        if owner is None or not materials:
            return {m.pk: None for m in materials}
        today = timezone.localdate()
        oldest = timezone.now() - dt.timedelta(days=PREVIOUS_MATERIAL_MAX_AGE_DAYS)
        ((lookup, owner_id),) = owner.items()
        column = lookup.removeprefix("application__")
        ids = [m.pk for m in materials]
        params = [
            Application._meta.get_field(column).get_db_prep_value(owner_id, connection),
            str(MaterialProvenance.UPLOAD),
            str(MaterialProvenance.WINDOW_SCAN),
            Application._meta.pk.get_db_prep_value(application.pk, connection),
            str(ApplicationStatus.DRAFT),
            str(ApplicationStatus.WITHDRAWN),
            _VALID_UNTIL.get_db_prep_value(today, connection),
            _CREATED_AT.get_db_prep_value(oldest, connection),
            *ids,
        ]
        with connection.cursor() as cursor:
            cursor.execute(_previous_sql(column, len(ids)), params)
            fetched = cursor.fetchall()
        by_name: dict[str, _Previous] = {}
        for values in fetched:
            row = _Previous(*_PREVIOUS_COLUMNS.convert(values, connection))
            best = by_name.get(row.name)
            if best is None or row.created_at > best.created_at:
                by_name[row.name] = row
        return {m.pk: _previous(by_name[m.name]) if m.name in by_name else None for m in materials}


class _Previous(NamedTuple):
    valid_until: dt.date | None
    storage_key: str
    display_name: str
    content_type: str
    size: int
    sm3: str
    created_at: dt.datetime
    number: str
    name: str


class _PreviousColumns:
    """The columns of :class:`_Previous` from three tables (aliases ``am``, ``a``, ``m``)."""

    def __init__(self) -> None:
        self.parts = (
            (
                FixedRows(
                    ApplicationMaterial,
                    "valid_until",
                    "storage_key",
                    "display_name",
                    "content_type",
                    "size",
                    "sm3",
                    "created_at",
                ),
                "am",
            ),
            (FixedRows(Application, "number"), "a"),
            (FixedRows(Material, "name"), "m"),
        )

    def columns(self) -> str:
        return ", ".join(rows.columns(alias) for rows, alias in self.parts)

    def convert(self, values, connection) -> list:
        out: list = []
        start = 0
        for rows, _alias in self.parts:
            end = start + len(rows.fields)
            out += rows.convert(values[start:end], connection)
            start = end
        return out


_PREVIOUS_COLUMNS = _PreviousColumns()
_VALID_UNTIL = ApplicationMaterial._meta.get_field("valid_until")
_CREATED_AT = ApplicationMaterial._meta.get_field("created_at")


@functools.lru_cache(maxsize=64)
def _previous_sql(owner_column: str, count: int) -> str:
    """Per wanted material (by id), the newest fresh reusable row of a material of the same name
    (a correlated subquery, evaluated once per material), with its application's number and the
    name: the query the ORM built from ``reusable``/``newest``/``chosen`` before, written once
    (building it cost more than running it; docs/performance.md, W3)."""
    owner = {"applicant_id": "applicant_id", "applicant_person_id": "applicant_person_id"}[owner_column]
    marks = ", ".join(["%s"] * count)
    # Only column names and placeholders are formatted in; every value is a parameter.
    return (
        f"SELECT {_PREVIOUS_COLUMNS.columns()} "  # noqa: S608
        'FROM "applications_applicationmaterial" am '
        'INNER JOIN "applications_application" a ON am."application_id" = a."id" '
        'INNER JOIN "catalogue_material" m ON am."material_id" = m."id" '
        'WHERE am."id" IN (SELECT (SELECT u."id" FROM "applications_applicationmaterial" u '
        'INNER JOIN "applications_application" ua ON u."application_id" = ua."id" '
        'INNER JOIN "catalogue_material" um ON u."material_id" = um."id" '
        f'WHERE ua."{owner}" = %s AND ua."number" IS NOT NULL AND u."provenance" IN (%s, %s) '
        'AND NOT u."superseded" AND NOT (u."application_id" = %s) '
        'AND NOT (ua."status" IN (%s, %s)) AND NOT (u."storage_key" = \'\') '
        'AND (u."valid_until" >= %s OR (u."created_at" >= %s AND u."valid_until" IS NULL)) '
        'AND um."name" = v."name" ORDER BY u."created_at" DESC LIMIT 1) '
        f'FROM "catalogue_material" v WHERE v."id" IN ({marks}))'
    )


def _previous(row: _Previous) -> Found:
    number = row.number
    return Found(
        provenance=MaterialProvenance.PREVIOUS,
        source_reference=number,
        source_label=f"复用办件 {number} 的材料",
        valid_until=row.valid_until,
        storage_key=row.storage_key,
        display_name=row.display_name,
        content_type=row.content_type,
        size=row.size,
        sm3=row.sm3,
    )


def _owner_filter(application: Application) -> dict | None:
    if application.applicant_id:
        return {"application__applicant_id": application.applicant_id}
    if application.applicant_person_id:
        return {"application__applicant_person_id": application.applicant_person_id}
    return None


PARTNER_SOURCES: dict[str, str] = {
    "police.identity": "公安部门共享数据：居民身份信息核验",
    "police.criminal_record": "公安部门共享数据：无犯罪记录证明",
    "education.degree": "教育部门共享数据：学历学位信息",
}


SIMULATED = "simulated"
SIMULATED_LABEL_SUFFIX = "（演示模拟，非真实部门核验）"


def simulated_partner_allowed() -> bool:
    """The stand-in may answer only when configured (``SIFA_PARTNER_DATA=simulated``) in a
    development/demo deployment or in the tests; settings refuse the value elsewhere."""
    return settings.PARTNER_DATA == SIMULATED and bool(settings.DEBUG or settings.TESTING)


class SimulatedPartnerData:
    """A stand-in partner gateway for demos and tests: answers for a natural-person applicant.

    It answers only when :func:`simulated_partner_allowed`; otherwise (production without a partner
    adapter) it finds nothing and the material is asked for. ``available`` lets tests and demos take
    the partner offline; the caller then asks for the material, as it would when a real gateway
    times out.
    """

    def __init__(self) -> None:
        self.available = True

    def find(self, application: Application, material) -> Found | None:
        code = material.satisfiable_by_partner_data
        if not code or code not in PARTNER_SOURCES or not simulated_partner_allowed():
            return None
        if not self.available:
            raise ProviderUnavailable(code)
        if application.applicant_person_id is None:
            return None
        return Found(
            provenance=MaterialProvenance.PARTNER,
            source_reference=code,
            source_label=PARTNER_SOURCES[code] + SIMULATED_LABEL_SUFFIX,
            answer_id=f"SIM-{uuid.uuid4().hex[:20]}",
            answered_at=timezone.now(),
        )


def subject_material(application: Application, material) -> bool:
    """Whether ``material`` is the licence a 换发 or 注销 application acts on (the version's
    ``subject_licence_type``). It can only come from the applicant's e-licence wallet: the decision
    changes or cancels exactly that licence."""
    version = application.version
    return (
        version.licence_effect in (LicenceEffect.REISSUE, LicenceEffect.CANCEL)
        and bool(version.subject_licence_type)
        and material.satisfiable_by_licence_type == version.subject_licence_type
    )


class ProviderRegistry(Registry[OnceOnlyProvider]):
    """The providers, asked in registration order: licence wallet, earlier applications, partner data."""

    def lookup(self, application: Application, material) -> Found | None:
        return self.lookup_with_notice(application, material)[0]

    def lookup_with_notice(
        self, application: Application, material, *, without: tuple[str, ...] = ()
    ) -> tuple[Found | None, dict | None]:
        """The first :class:`Found`; else None and the last notice a provider gave (why the
        material is asked for: a partner down, a negative answer, no consent). The slots named in
        ``without`` are not asked."""
        notice = None
        for name, provider in self.items():
            if name in without:
                continue
            try:
                found = provider.find(application, material)
            except OnceOnlyNotice as told:
                notice = told.as_notice()
                continue
            if found is not None:
                return found, None
        return None, notice

    def read_ahead(self, application: Application, materials) -> dict[str, dict[int, Found | None]]:
        """What the providers with ``find_many`` (read-only: earlier applications) answer for
        ``materials``, asked before the caller's transaction (a read holds no write lock); pass it
        to :meth:`lookup_all` as ``read``. The answer is the same as if they were asked there:
        the providers are still consulted in their order per material, a read-only answer only
        used when the materials before it in the order found nothing."""
        materials = list(materials)
        read: dict[str, dict[int, Found | None]] = {}
        for name, provider in self.items():
            if hasattr(provider, "find_many"):
                try:
                    read[name] = provider.find_many(application, materials)
                except OnceOnlyNotice:
                    continue  # asked again in the transaction, where its notice is kept
        return read

    def lookup_all(
        self,
        application: Application,
        materials,
        *,
        without: tuple[str, ...] = (),
        read: dict[str, dict[int, Found | None]] | None = None,
    ) -> dict[int, tuple[Found | None, dict | None]]:
        """:meth:`lookup_with_notice` for each of ``materials`` (by id), in the same order of
        providers. A provider with ``find_many`` (read-only: earlier applications) is asked once
        for all the materials, the first time one of them reaches it; the others per material.
        ``read``: :meth:`read_ahead`'s answers, used for a provider when they cover every one of
        ``materials`` (it is asked again otherwise)."""
        materials = list(materials)
        wanted = {m.pk for m in materials}
        batched: dict[str, dict[int, Found | None]] = {
            name: answers for name, answers in (read or {}).items() if wanted <= answers.keys()
        }
        answers: dict[int, tuple[Found | None, dict | None]] = {}
        for material in materials:
            notice = None
            answer: tuple[Found | None, dict | None] | None = None
            for name, provider in self.items():
                if name in without:
                    continue
                try:
                    if hasattr(provider, "find_many"):
                        if name not in batched:
                            batched[name] = provider.find_many(application, materials)
                        found = batched[name].get(material.pk)
                    else:
                        found = provider.find(application, material)
                except OnceOnlyNotice as told:
                    notice = told.as_notice()
                    continue
                if found is not None:
                    answer = (found, None)
                    break
            answers[material.pk] = answer or (None, notice)
        return answers


EXCHANGE = "exchange"


class ConfiguredPartnerData(SimulatedPartnerData):
    """The ``partner`` slot as configured: ``SIFA_PARTNER_DATA=exchange`` asks the police partner
    over the signed exchange (:class:`sifa.applications.partner_data.ExchangePartnerData`);
    ``simulated`` lets the stand-in answer; empty asks nobody."""

    def find(self, application: Application, material) -> Found | None:
        if settings.PARTNER_DATA == EXCHANGE:
            from sifa.applications.partner_data import ExchangePartnerData

            return ExchangePartnerData().find(application, material)
        return super().find(application, material)


registry = ProviderRegistry("applications.onceonly", "免提交数据来源")
registry.register("licence", EmptyLicenceWallet())
registry.register("previous", PreviousApplications())
registry.register("partner", ConfiguredPartnerData())
