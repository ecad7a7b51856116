"""Delivery channels: a typed interface, their registry (:data:`channels`), and the three built-in channels.

A channel sends one :class:`~sifa.notifications.models.Delivery` and returns the provider's
message id, or raises :class:`TransientDeliveryError` (try again later: gateway down, timeout) or
:class:`PermanentDeliveryError` (retrying cannot help: no address, number refused). Anything else
a channel raises is treated as transient, so an unexpected bug delays a message, never loses it.

SMS goes through the accounts app's :class:`~sifa.accounts.sms.SmsGateway` (``SIFA_SMS_BACKEND``):
the same carrier adapter that sends login codes, with the ``notification`` carrier template.
"""

from __future__ import annotations

import abc
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from sifa.accounts import sms
from sifa.accounts.models import User
from sifa.core.registry import Registry
from sifa.notifications.models import Channel, Delivery, Notification

SMS_TEMPLATE = "notification"
"""Carrier template whose only parameter is the full rendered text (signature included)."""


class DeliveryError(Exception):
    """A send failed. ``message`` is Chinese, for the failed-deliveries view; no personal data."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientDeliveryError(DeliveryError):
    """Worth retrying with back-off."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help; the delivery goes straight to ``dead`` (a person may fix and resend)."""


def recipient_phone(user: User) -> str:
    """The recipient's mobile number in clear text: the only place this app decrypts it."""
    return user.reveal_phone()


class NotificationChannel(abc.ABC):
    """One way of reaching a user."""

    name: str
    sends_in_transaction: bool = False
    """True for channels that only touch our own database (in-app): delivered inside notify()."""

    @abc.abstractmethod
    def reachable(self, user: User) -> bool:
        """Whether the user has what this channel needs (an address, a number)."""

    @abc.abstractmethod
    def send(self, delivery: Delivery) -> str:
        """Send and return the provider's message id (may be empty)."""


class InAppChannel(NotificationChannel):
    """The notification row is the in-app message: it is delivered once it is committed."""

    name = Channel.IN_APP
    sends_in_transaction = True

    def reachable(self, user: User) -> bool:
        return True

    def send(self, delivery: Delivery) -> str:
        return ""


def absolute_link(link: str) -> str:
    if not link or "://" in link:
        return link
    return f"{settings.PUBLIC_URL}/{link.lstrip('/')}"


class EmailChannel(NotificationChannel):
    """Django's e-mail machinery (``SIFA_EMAIL_BACKEND``): plain text plus an escaped HTML part."""

    name = Channel.EMAIL

    def reachable(self, user: User) -> bool:
        return bool(user.email)

    def send(self, delivery: Delivery) -> str:
        notification: Notification = delivery.notification
        address = notification.recipient.email if notification.recipient_id else ""
        if not address:
            raise PermanentDeliveryError("接收人未登记电子邮箱")
        link = absolute_link(notification.link)
        context = {"title": notification.title, "body": notification.body, "link": link}
        text = notification.body + (f"\n\n{link}" if link else "")
        message_id = make_msgid(domain="sifa.local")
        message = EmailMultiAlternatives(
            subject=notification.title, body=text, to=[address], headers={"Message-ID": message_id}
        )
        message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused:
            raise PermanentDeliveryError("邮件服务器拒收该收件地址") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(f"邮件服务器暂时不可用（{type(error).__name__}）") from None
        return message_id


class SmsChannel(NotificationChannel):
    """Delegates to the configured SMS gateway adapter (a local one stores messages in dev/tests)."""

    name = Channel.SMS

    def reachable(self, user: User) -> bool:
        return bool(user.phone_enc)

    def send(self, delivery: Delivery) -> str:
        notification: Notification = delivery.notification
        recipient = notification.recipient
        if recipient is None:  # a number without an account (a 12348 caller): sealed on the message
            phone = notification.reveal_phone()
        else:
            phone = recipient_phone(recipient) if recipient.phone_enc else ""
        if not phone:
            raise PermanentDeliveryError("接收人未登记手机号码")
        if not notification.sms_text:
            raise PermanentDeliveryError("该消息没有短信内容")
        try:
            return sms.get_gateway().send(
                phone, SMS_TEMPLATE, {"text": notification.sms_text}, recipient=recipient
            )
        except sms.SmsGatewayError as error:
            raise TransientDeliveryError(f"短信网关发送失败：{error}") from None


channels: Registry[NotificationChannel] = Registry("notifications.channels", "通知渠道")
"""One adapter per :class:`~sifa.notifications.models.Channel`. Swap one (e.g. a carrier-specific
e-mail API) with ``channels.replace(Channel.EMAIL, …)``; a channel not in ``Channel`` has no slot."""
channels.register(Channel.IN_APP.value, InAppChannel())
channels.register(Channel.EMAIL.value, EmailChannel())
channels.register(Channel.SMS.value, SmsChannel())


def get_channel(name: str) -> NotificationChannel:
    return channels.get(name)


def register_sms_template() -> None:
    """Make the ``notification`` carrier template known to the SMS gateway's template table."""
    sms.TEMPLATES.setdefault(SMS_TEMPLATE, "{text}")
