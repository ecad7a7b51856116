"""A draft's separate consent to the police checks: given, withdrawn, confirmed again."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sifa.accounts import consents
from sifa.accounts import services as account_services
from sifa.accounts.models import User
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.common import audit, require_actor
from sifa.applications.services.draft_materials import resolve_once_only
from sifa.applications.services.drafts import lock
from sifa.core.errors import Conflict


@transaction.atomic
def set_partner_consent(application: Application, *, actor: User, consent: bool) -> Application:
    """Record (or withdraw) the applicant's separate consent to the police checks of a draft
    (个人信息保护法 §13 (一), §14, §29; withdrawal §15), then look the materials up again.

    The consent is recorded with its time and the version of the text the applicant read
    (``partner_data.consent_text``: identity alone, or with the criminal record) and audited (``application.partner_consent`` /
    ``application.partner_consent_withdrawn``). Withdrawing stops further queries; answers already
    received stay (§15 第二款). Giving it again when it is already given asks the partner again for
    the materials it could not answer (the applicant's retry)."""
    from sifa.applications import partner_data

    application = lock(application)
    require_actor(actor, application)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict("application.not_draft", "该申请已提交，不能再修改核验授权")
    if consent and not partner_data.consent_offered(application):
        raise Conflict("application.consent_not_offered", "本申请无需向公安机关核验，无需授权")
    given = application.partner_consent_at is not None
    if (
        consent
        and given
        and application.partner_consent_version != partner_data.consent_text(application).version
    ):
        given = False  # given on another text (identity alone, an older version): record this one
    if bool(consent) == given:
        if consent:
            # Confirmed again: ask the partner again for what it could not answer before.
            resolve_once_only(application)
        return application
    now = timezone.now()
    # The text this application asks for (identity alone, or with the criminal record); a
    # withdrawal is recorded against the text that was given.
    text = partner_data.consent_text(application) if consent else _given_text(application)
    application.partner_consent_at = now if consent else None
    application.partner_consent_version = text.version if consent else ""
    # A new decision: the police may be asked again (or no longer), so the old reasons go.
    application.once_only_notices = {}
    application.save(
        update_fields=["partner_consent_at", "partner_consent_version", "once_only_notices", "updated_at"]
    )
    audit(
        "partner_consent" if consent else "partner_consent_withdrawn",
        application,
        actor,
        {"version": text.version, "text": text.text, "at": now.isoformat()},
    )
    # The applicant's own list of consents (我的—授权与个人数据) shows it, with the text seen.
    holder = application.applicant
    if holder is not None:
        ref = str(application.pk)
        if consent:
            account_services.give_consent(holder, text.code, version=text.version, object_ref=ref)
        else:
            for code in (consents.PARTNER_CHECK, consents.PARTNER_IDENTITY):
                account_services.withdraw_consents_for(holder, code, object_ref=ref)
    resolve_once_only(application)
    return application


def _given_text(application: Application) -> consents.ConsentText:
    """The text the standing consent was given on (its recorded version), for the withdrawal's audit."""
    version = application.partner_consent_version
    for code in (consents.PARTNER_CHECK, consents.PARTNER_IDENTITY):
        if (text := consents.text_of(code, version)) is not None:
            return text
    from sifa.applications import partner_data

    return partner_data.consent_text(application)
