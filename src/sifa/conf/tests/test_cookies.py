"""Session and CSRF cookies are ``Secure`` whenever SIFA_DEBUG is off (issue 14's finding: they were
not unless a second setting was set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3]
FLAGS = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")


def _settings_with(tmp_path: Path, **variables: str) -> dict[str, object]:
    """The settings a fresh process computes from these environment variables alone."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SIFA_") and key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment |= {
        "PYTHONPATH": str(SRC),
        "SIFA_VAR_DIR": str(tmp_path),
        "SIFA_SECRET_KEY": "k" * 50,
        "SIFA_FIELD_KEYS": "k1:" + "0" * 32,
        "SIFA_BLIND_INDEX_KEY": "0" * 64,
        **variables,
    }
    script = (
        "import json, sifa.conf.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {FLAGS!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_production_cookies_are_secure_without_any_second_setting(tmp_path):
    values = _settings_with(tmp_path)
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is None  # redirects and HSTS stay SIFA_HTTPS's decision


@pytest.mark.parametrize("name", ["SIFA_HTTPS", "SIFA_SECURE_COOKIES"])
def test_https_adds_the_redirect_and_hsts(tmp_path, name):
    values = _settings_with(tmp_path, **{name: "1"})
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_HSTS_SECONDS"] == 31536000


def test_development_cookies_work_over_plain_http(tmp_path):
    values = _settings_with(tmp_path, SIFA_DEBUG="1")
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
