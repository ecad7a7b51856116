"""The once-only ``partner`` slot over the exchange (``SIFA_PARTNER_DATA=exchange``): the police
partner is asked, with the applicant's consent, whether the applicant's name and 公民身份号码 match
(``identity.verify``) and whether they have a criminal record (``criminal-record.check``).

国务院令716 §7 asks the administration not to make the applicant fetch what another organ holds;
个人信息保护法 §13 (一)/§14 and, criminal records being sensitive personal information, §28/§29 ask
for the applicant's separate, informed consent before their data is sent to the police for it. So:

* without consent (:data:`CONSENT_VERSION` recorded on the application by
  ``draft_consent.set_partner_consent``) nobody is asked and the material is requested as an upload;
* with consent, the accepting organisation asks the police synchronously
  (:func:`sifa.exchange.services.query.ask`, timeout ``SIFA_PARTNER_QUERY_TIMEOUT_SECONDS``): the
  request is sealed, logged, sent, and the signed answer opened and logged; the answer's message id
  is the material's provenance (``ApplicationMaterial.partner_answer_id``);
* every request that left is a row of the applicant's data tracker (我的数据使用记录,
  :func:`sifa.audit.services.record_disclosure`): receiver, purpose, legal basis, the application
  number (or draft reference) and the request's message id;
* ``match: false`` or ``has_record: true`` does **not** satisfy the material: the applicant uploads
  it (or, for the criminal record, may explain: 律师法 §7 (二) excepts negligent offences), and the
  checklist says why (:class:`~sifa.applications.onceonly.Unsatisfied`);
* a partner that cannot answer (unreachable, too slow, a refusal, a bad answer, no address, Sifa
  unable to sign) raises :class:`~sifa.applications.onceonly.ProviderUnavailable`: the material is
  asked for with the message 公安部门数据暂时无法核验，请上传……（可稍后重试）.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from sifa.accounts import consents
from sifa.accounts.models import AccountKind
from sifa.applications.models import Application, MaterialProvenance
from sifa.applications.onceonly import PARTNER_SOURCES, Found, ProviderUnavailable, Unsatisfied
from sifa.audit.models import AccessKind
from sifa.audit.services import record_disclosure
from sifa.exchange.models import PartnerKind
from sifa.exchange.services import query

EXCHANGE = "exchange"

POLICE_SERVICES: dict[str, tuple[str, str]] = {
    "police.identity": ("identity.verify", "1"),
    "police.criminal_record": ("criminal-record.check", "1"),
}
"""Once-only codes the police partner answers, and the exchange service that answers each."""

CONSENT_VERSION = consents.current(consents.PARTNER_CHECK).version
"""The version of the consent text to the identity *and* criminal-record checks (the registry
``sifa.accounts.consents``); recorded with the consent on the application and in the applicant's
``ConsentRecord`` (a changed text is a new version). An application whose police materials are the
identity alone is asked for :data:`consents.PARTNER_IDENTITY` instead (:func:`consent_text`)."""

CONSENT_LABEL = consents.current(consents.PARTNER_CHECK).text
SENSITIVE_CODES = frozenset({"police.criminal_record"})
"""Once-only codes that send sensitive personal information's question to the police (个人信息保护法
§28: a criminal record), so need the consent that names it."""
DEMO_SUFFIX = "（演示交换伙伴：公安模拟系统应答）"


def police_materials(application: Application) -> list[Any]:
    """The application's applicable materials the police partner can answer for."""
    from sifa.applications.services.draft_materials import applicable_materials

    return [
        m
        for m in applicable_materials(application.version, application.situation_answers)
        if m.satisfiable_by_partner_data in POLICE_SERVICES
    ]


def consent_offered(application: Application) -> bool:
    """Whether the form offers the consent: the exchange is configured, the applicant is a natural
    person and a material of this application can come from the police."""
    return (
        settings.PARTNER_DATA == EXCHANGE
        and application.applicant_person_id is not None
        and bool(police_materials(application))
    )


def consent_text(application: Application) -> consents.ConsentText:
    """The consent this application asks for: the criminal-record one only when one of its materials
    is answered by the criminal-record check; otherwise the identity one, which names nothing else
    (个人信息保护法 §14: a consent is specific; §17: the notice says what is processed)."""
    codes = {m.satisfiable_by_partner_data for m in police_materials(application)}
    code = consents.PARTNER_CHECK if codes & SENSITIVE_CODES else consents.PARTNER_IDENTITY
    return consents.current(code)


def consent_covers(application: Application, code: str) -> bool:
    """Whether the consent recorded on the application covers the check ``code``: the identity one
    does not cover the criminal record (the application's materials changed after it was given)."""
    if application.partner_consent_at is None:
        return False
    if code not in SENSITIVE_CODES:
        return True
    given = consents.text_of(consents.PARTNER_CHECK, application.partner_consent_version)
    return given is not None


def consent_notice(application: Application) -> dict[str, Any]:
    """What the applicant reads next to the checkbox (个人信息保护法 §17): who asks whom, what for,
    on which legal basis, which data, and that refusing costs nothing but an upload."""
    text = consent_text(application)
    checks = []
    for material in police_materials(application):
        code = material.satisfiable_by_partner_data
        offered = query.offering(POLICE_SERVICES[code][0], kind=PartnerKind.POLICE)
        checks.append(
            {
                "material": material.name,
                "service": offered.name if offered else POLICE_SERVICES[code][0],
                "partner": offered.provider.name if offered else "公安机关",
                "purpose": offered.purpose if offered else "",
                "legal_basis": offered.legal_basis if offered else "",
            }
        )
    given = application.partner_consent_at is not None
    organisation = application.accepting_organisation.name
    if application.applicant_id is None:
        # A walk-in without an account: the check is logged against the person record only
        # (``_track``: subject None), which no account lists, now or after a later registration.
        # The window (or the organisation's supervisors) prints them a copy on request:
        # 数据使用记录查阅, ``/workbench/window/data-use/`` (``sifa.workflow.data_use``).
        log_hint = (
            f"每次核验都由{organisation}记录。您没有平台账户，不能在网上查看这些记录，"
            f"可以持身份证件向受理窗口或{organisation}申请查阅、复制，"
            "工作人员核对身份后当场打印交您（个人信息保护法第四十五条）。"
        )
    else:
        log_hint = "每次核验都记录在“我的数据使用记录”中。"
    return {
        "label": text.text,
        "version": application.partner_consent_version if given else text.version,
        "organisation": organisation,
        "checks": checks,
        "data": "姓名、公民身份号码",
        "sensitive": text.code == consents.PARTNER_CHECK,
        "given_at": application.partner_consent_at,
        "log_hint": log_hint,
    }


def case_reference(application: Application) -> str:
    return application.number or f"草稿 {str(application.pk)[:8]}"


def _official(application: Application) -> tuple[str, Any]:
    """Who causes the query (the envelope's ``user_id.official``) and the tracker's official: a
    window clerk by username; the applicant's own draft by role only (no phone number in the log)."""
    user = application.submitted_by
    if user is not None and user.kind == AccountKind.STAFF:
        return user.username, user
    return "申请人本人（网上申请）", None


def _consent_basis(application: Application) -> str:
    """The tracker's words for the consent the query rests on: the separate consent (§29) for the
    criminal-record text, the applicant's consent (§13 第一款第一项, §14) for the identity one."""
    if consents.text_of(consents.PARTNER_CHECK, application.partner_consent_version) is not None:
        return "申请人单独同意（个人信息保护法第十三条、第二十九条）"
    return "申请人同意（个人信息保护法第十三条第一款第一项、第十四条）"


class ExchangePartnerData:
    """Asks the police partner over the exchange; see the module docstring."""

    def find(self, application: Application, material: Any) -> Found | None:
        code = material.satisfiable_by_partner_data
        if code not in POLICE_SERVICES or application.applicant_person_id is None:
            return None
        if application.partner_consent_at is None:
            raise Unsatisfied(
                "no_consent",
                f"您未同意向公安机关核验，请上传“{material.name}”",
            )
        if not consent_covers(application, code):
            raise Unsatisfied(
                "no_consent",
                f"您同意的核验不包括无犯罪记录，请重新勾选同意并保存，或上传“{material.name}”",
            )
        unavailable = (
            f"公安部门数据暂时无法核验，请上传“{material.name}”（也可稍后重试：保存或提交时将再次核验）"
        )
        service_code, version = POLICE_SERVICES[code]
        offered = query.offering(service_code, kind=PartnerKind.POLICE, version=version)
        if offered is None:
            raise ProviderUnavailable("exchange.no_service", unavailable)
        person = application.applicant_person
        official, official_user = _official(application)
        reference = case_reference(application)
        try:
            answer = query.ask(
                organisation=application.accepting_organisation,
                partner=offered.provider,
                service=(service_code, version),
                body={"name": person.name, "id_number": person.reveal_id_number()},
                official=official,
                issue=reference,
                purpose=f"{offered.purpose}：{application.version.item.name}",
                timeout=settings.PARTNER_QUERY_TIMEOUT_SECONDS,
            )
        except query.QueryFailed as failed:
            if failed.sent:
                self._track(application, offered, reference, failed.request_id, official_user)
            raise ProviderUnavailable(failed.code, unavailable) from None
        self._track(application, offered, reference, answer.request_id, official_user)
        if service_code == "identity.verify" and answer.body.get("match") is not True:
            raise Unsatisfied(
                "declined",
                f"公安部门核验未通过（姓名与公民身份号码不一致），请上传“{material.name}”",
            )
        if service_code == "criminal-record.check" and answer.body.get("has_record") is not False:
            raise Unsatisfied(
                "declined",
                f"公安部门的核查结果不能替代此材料，请上传“{material.name}”，或上传书面说明"
                "（律师法第七条第二项：过失犯罪除外）",
            )
        label = PARTNER_SOURCES[code] + (DEMO_SUFFIX if offered.provider.is_demo else "")
        return Found(
            provenance=MaterialProvenance.PARTNER,
            source_reference=code,
            source_label=label,
            answer_id=answer.answer_id,
            answered_at=answer.answered_at,
        )

    @staticmethod
    def _track(
        application: Application, offered: Any, reference: str, message_id: str, official: Any
    ) -> None:
        person = application.applicant_person
        record_disclosure(
            subject=person.user,
            subject_ref=str(person.pk),
            object_type="accounts.NaturalPerson",
            receiver=offered.provider.name,
            purpose=f"{offered.name}（{offered.purpose}），申请“{application.version.item.name}”",
            legal_basis=f"{offered.legal_basis}；{_consent_basis(application)}",
            organisation=application.accepting_organisation,
            scope_path=application.scope_path,
            case_number=reference,
            message_id=message_id,
            official=official,
            kind=AccessKind.DISCLOSURE,
        )
