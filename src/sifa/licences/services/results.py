"""What an approved application does to e-licences: issue a new one, re-issue (换发) the licence it
is about as a new version, or cancel (注销) it — as the pinned catalogue version says
(``ItemVersion.licence_effect``).

The licence a 换发 or 注销 acts on is the one that satisfied the version's subject material from
the applicant's wallet (``applications.onceonly.subject_material``; its identifier is the
material's ``source_reference``), at its current version: a 补办 issued in the meantime is the
same licence. :func:`subject_licence` only reads; :func:`apply_decision` is the write path the
workflow's document task calls, inside its own transaction, once per decision.
"""

from __future__ import annotations

from typing import Any

from sifa.applications.models import MaterialProvenance
from sifa.applications.onceonly import subject_material
from sifa.catalogue.models import LicenceEffect
from sifa.core.errors import Conflict
from sifa.licences.models import Licence, LicenceStatus
from sifa.licences.one_per_holder import ONE_PER_HOLDER, describe, held_by_applicant, one_per_holder_type
from sifa.licences.services.common import CHANGEABLE
from sifa.licences.services.issue import issue_for_application
from sifa.licences.services.status import cancel
from sifa.licences.services.versions import reissue

REISSUE_FIELDS = {"law_firm": "practice_organisation", "new_principal": "principal"}
"""Form fields of a 换发 application copied onto the new version's particulars (律师法 §10: the new
执业机构; §21: the new 负责人). ``new_name`` becomes the holder's name on the licence."""
NEW_CERTIFICATE_FIELD = "reissue_reason"
"""A 换发 applied for because the certificate itself must be replaced (损毁, 记载事项变更: 律师和律师事务所
执业证书管理办法 §10) always makes a new version, even when nothing recorded on it changes."""


def effect_of(application: Any) -> str:
    return application.version.licence_effect or LicenceEffect.ISSUE


def subject_licence(application: Any) -> Licence | None:
    """The current version of the licence a 换发/注销 application is about (None for other items or
    when the wallet gave none)."""
    if effect_of(application) == LicenceEffect.ISSUE:
        return None
    rows = application.materials.filter(superseded=False, provenance=MaterialProvenance.LICENCE)
    for row in rows.select_related("material"):
        if not subject_material(application, row.material):
            continue
        found = Licence.objects.filter(identifier=row.source_reference).first()
        if found is None:
            return None
        return (
            Licence.objects.filter(
                licence_type_id=found.licence_type_id, issuer_uscc=found.issuer_uscc, serial=found.serial
            )
            .order_by("-version")
            .first()
        )
    return None


def check_subject(application: Any) -> Licence | None:
    """Before approving a 换发/注销: the licence must still be in force (it may have been revoked or
    cancelled since the application). 409 ``licence.subject_not_current`` otherwise.

    Before approving an item that issues a licence its holder holds one of at a time (律师法 §10,
    :mod:`sifa.licences.one_per_holder`): the applicant must not hold a valid one (issued on another
    application or imported since this one was submitted). 409 ``licence.already_held`` otherwise —
    the decider gives a 不予 decision instead of one that could not be issued."""
    if effect_of(application) == LicenceEffect.ISSUE:
        refuse_a_second_approval(application)
        return None
    licence = subject_licence(application)
    if licence is None or licence.status not in CHANGEABLE:
        state = licence.get_status_display() if licence is not None else "不在电子证照库中"
        raise Conflict(
            "licence.subject_not_current",
            f"申请所涉的电子证照当前{'状态为“' + state + '”' if licence is not None else state}，"
            "不能准予；请作出不予决定并说明理由",
        )
    return licence


def refuse_a_second_approval(application: Any) -> None:
    """409 ``licence.already_held`` when the approval would issue a one-per-holder licence to an
    applicant already holding a valid one (a mock application issues nothing: never refused)."""
    spec = one_per_holder_type(application.version.result_name)
    if spec is None or getattr(application, "is_mock", False):
        return
    held = held_by_applicant(application, spec)
    if held is not None:
        raise Conflict(
            "licence.already_held",
            f"申请人{held.holder_name}已持有{describe(held)}，"
            f"准予后无法颁发：{ONE_PER_HOLDER[spec.key]}。不能准予；请作出不予决定并说明理由",
        )


def changed_particulars(application: Any) -> tuple[dict[str, str], str | None]:
    """(particulars, new holder name) an approved 换发 writes on the new version."""
    form = application.form_data if isinstance(application.form_data, dict) else {}
    particulars = {
        target: str(form[source]).strip()[:200]
        for source, target in REISSUE_FIELDS.items()
        if isinstance(form.get(source), str) and form[source].strip()
    }
    name = form.get("new_name")
    return particulars, (name.strip()[:200] if isinstance(name, str) and name.strip() else None)


def apply_decision(application: Any, actor: Any, *, issuer: Any, with_pdf: bool = True) -> Licence | None:
    """Carry out an approval on the licences; returns the licence issued, re-issued or cancelled.

    A 换发 that changes nothing recorded on the licence (e.g. only a law firm's 章程) leaves it as it
    is and returns None, unless the certificate itself is to be replaced (:data:`NEW_CERTIFICATE_FIELD`).
    Idempotent per application: a retried task finds what it did. A mock application changes no
    licence (returns None).
    """
    if getattr(application, "is_mock", False):
        # A 模拟办件 (sifa.inspections) has a fictitious applicant: it never issues, re-issues or
        # cancels a real licence, so nothing of it reaches the licence register, the public
        # directory or verification. Its decision letter is issued as usual.
        return None
    effect = effect_of(application)
    if effect == LicenceEffect.ISSUE:
        return issue_for_application(application, actor, issuer=issuer, with_pdf=with_pdf)
    reason = f"办件 {application.number} 准予{'变更' if effect == LicenceEffect.REISSUE else '注销'}"
    done = Licence.objects.filter(application=application).order_by("-version").first()
    if done is not None:
        return done
    current = subject_licence(application)
    if current is not None and current.status == LicenceStatus.CANCELLED and current.status_reason == reason:
        return current
    licence = check_subject(application)
    if effect == LicenceEffect.CANCEL:
        return cancel(licence, actor=actor, reason=reason)
    particulars, holder_name = changed_particulars(application)
    renamed = holder_name is not None and holder_name != licence.holder_name
    unchanged = not renamed and all(licence.particulars.get(k) == v for k, v in particulars.items())
    form = application.form_data if isinstance(application.form_data, dict) else {}
    if unchanged and not form.get(NEW_CERTIFICATE_FIELD):
        return None
    changes: dict[str, Any] = {"particulars": particulars, "application": application, "with_pdf": with_pdf}
    if renamed:
        changes["holder_name"] = holder_name
    return reissue(licence, actor=actor, reason=reason, **changes)
