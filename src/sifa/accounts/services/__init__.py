"""Account commands — the only write path for accounts. Each command is atomic and audited.

Split by resource: ``registration`` (citizens, companies), ``staff`` (staff, roles, TOTP),
``mandates`` (代办/委托), ``walkin`` (applicants served at the window, 一窗受理), ``auth`` (login,
SMS codes, API tokens), ``selfservice`` (忘记密码, 修改密码, 更换手机号码), ``address`` (a person's 详细地址), ``backoff`` (the account-wide login back-off and its lift) and ``sms`` (the
local SMS gateway's outbox rows), ``consents`` (consents given and withdrawn, 个人信息保护法 §14, §15).
"""

from sifa.accounts.services.address import change_address
from sifa.accounts.services.auth import (
    AuthError,
    LoginResult,
    issue_api_token,
    login_with_password,
    login_with_sms_code,
    record_logout,
    revoke_api_token,
    send_sms_code,
)
from sifa.accounts.services.backoff import lift as lift_login_limits
from sifa.accounts.services.consents import check_shown_version as check_consent_shown
from sifa.accounts.services.consents import give as give_consent
from sifa.accounts.services.consents import give_again as give_consent_again
from sifa.accounts.services.consents import give_at_counter as give_consent_at_counter
from sifa.accounts.services.consents import standing as consent_standing
from sifa.accounts.services.consents import withdraw as withdraw_consent
from sifa.accounts.services.consents import withdraw_for as withdraw_consents_for
from sifa.accounts.services.mandates import create_mandate, revoke_mandate, use_item_lookup
from sifa.accounts.services.registration import id_number_index, register_company, register_person
from sifa.accounts.services.selfservice import (
    change_password,
    change_phone,
    reset_password,
    send_phone_change_code,
    send_reset_code,
)
from sifa.accounts.services.sms import keep_local_message
from sifa.accounts.services.staff import add_totp_device, create_staff, grant_role, revoke_role
from sifa.accounts.services.walkin import walk_in_company, walk_in_person

__all__ = [
    "AuthError",
    "LoginResult",
    "add_totp_device",
    "change_address",
    "change_password",
    "change_phone",
    "check_consent_shown",
    "consent_standing",
    "create_mandate",
    "create_staff",
    "give_consent",
    "give_consent_again",
    "give_consent_at_counter",
    "grant_role",
    "id_number_index",
    "issue_api_token",
    "keep_local_message",
    "lift_login_limits",
    "login_with_password",
    "login_with_sms_code",
    "record_logout",
    "register_company",
    "register_person",
    "reset_password",
    "revoke_api_token",
    "revoke_mandate",
    "revoke_role",
    "send_phone_change_code",
    "send_reset_code",
    "send_sms_code",
    "use_item_lookup",
    "walk_in_company",
    "walk_in_person",
    "withdraw_consent",
    "withdraw_consents_for",
]
