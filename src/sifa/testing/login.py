"""Clients for tests: an API client acting as a user, a bearer-token client, and the session a
password + TOTP login leaves (see ``accounts.views.login_view``)."""

from __future__ import annotations

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from sifa.accounts.models import User


def api_client(user: User | None = None) -> APIClient:
    """A DRF client authenticated as ``user`` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def bearer_client(user: User) -> APIClient:
    """A client that sends a freshly issued API token, as an integrating system does."""
    from sifa.accounts.services import issue_api_token

    client = APIClient()
    key, _token = issue_api_token(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def totp_code(user: User) -> str:
    """The current code of the user's TOTP device (RFC 6238)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


def verified_login(client, user: User) -> None:
    """What a password + TOTP login leaves in the session."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
