"""SMS gateway adapters: a small typed interface, their registry, and the local implementation.

``settings.SMS_BACKEND`` (``SIFA_SMS_BACKEND``) names the adapter in :data:`gateways` (a
:class:`~sifa.core.registry.Registry`). ``local`` keeps every message in
:class:`~sifa.accounts.models.SmsMessage` (phone sealed) so development and tests can read the
one-time codes; a real carrier adapter registers under its own name with
``gateways.register("<carrier>", CarrierGateway())`` in its app's ``ready``.
"""

from __future__ import annotations

import abc

from django.conf import settings

from sifa.accounts.models import PHONE_INDEX, SmsMessage, User
from sifa.accounts.services.sms import keep_local_message
from sifa.core.crypto import field_cipher
from sifa.core.registry import Registry, UnknownAdapter

TEMPLATES = {
    "login_code": "【司法行政政务服务】您的登录验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。",
    "reset_code": "【司法行政政务服务】您正在找回密码，验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "phone_change_code": "【司法行政政务服务】您正在将账户手机号码更换为本号码，验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "phone_changed_notice": "【司法行政政务服务】您的账户手机号码已于{time}更换为{masked}，本号码不再用于登录。如非本人操作，请立即拨打12348或到司法行政服务窗口办理。",
}
"""Message templates as registered with the carrier (短信模板); params fill the braces."""


class SmsGatewayError(Exception):
    """The gateway refused or failed to take the message."""


class SmsGateway(abc.ABC):
    """Sends one templated text message and returns the gateway's message id."""

    @abc.abstractmethod
    def send(
        self, phone: str, template: str, params: dict[str, str], *, recipient: User | None = None
    ) -> str: ...


class LocalSmsGateway(SmsGateway):
    """Stores the message in the database instead of sending it (development and tests)."""

    def send(
        self, phone: str, template: str, params: dict[str, str], *, recipient: User | None = None
    ) -> str:
        if template not in TEMPLATES:
            raise SmsGatewayError(f"unknown SMS template {template!r}")
        body = TEMPLATES[template].format(**params)
        return str(keep_local_message(phone, template, params, body, recipient=recipient).id)


gateways: Registry[SmsGateway] = Registry("sms.gateways", "短信网关")
gateways.register("local", LocalSmsGateway())


def get_gateway() -> SmsGateway:
    """The configured gateway; an unregistered ``SMS_BACKEND`` is a gateway failure."""
    try:
        return gateways.get(settings.SMS_BACKEND)
    except UnknownAdapter as error:
        raise SmsGatewayError(str(error)) from None


def latest_local_message(phone: str) -> SmsMessage | None:
    """The newest locally stored message to ``phone`` (tests and the development viewer)."""
    index = field_cipher().blind_index(phone, PHONE_INDEX)
    return SmsMessage.objects.filter(phone_index=index).order_by("-sent_at").first()
