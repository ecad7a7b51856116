"""SMS gateway adapters: a small typed interface, a registry, and the local implementation.

``settings.SMS_BACKEND`` names the adapter. ``local`` keeps every message in
:class:`~sifa.accounts.models.SmsMessage` (phone sealed; written by
:func:`sifa.accounts.services.sms.keep_local_message`) so development and tests can read the
one-time codes; a real carrier adapter registers under its own name.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

from django.conf import settings

from sifa.accounts.models import PHONE_INDEX, SmsMessage, User
from sifa.accounts.services.sms import keep_local_message
from sifa.core.crypto import field_cipher

TEMPLATES = {
    "login_code": "【司法行政政务服务】您的登录验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。",
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


_REGISTRY: dict[str, Callable[[], SmsGateway]] = {"local": LocalSmsGateway}


def register_gateway(name: str, factory: Callable[[], SmsGateway]) -> None:
    _REGISTRY[name] = factory


def get_gateway() -> SmsGateway:
    try:
        return _REGISTRY[settings.SMS_BACKEND]()
    except KeyError:
        raise SmsGatewayError(f"SMS_BACKEND {settings.SMS_BACKEND!r} is not a registered gateway") from None


def latest_local_message(phone: str) -> SmsMessage | None:
    """The newest locally stored message to ``phone`` (tests and the development viewer)."""
    index = field_cipher().blind_index(phone, PHONE_INDEX)
    return SmsMessage.objects.filter(phone_index=index).order_by("-sent_at").first()
