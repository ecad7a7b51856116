"""No plaintext 公民身份号码 or phone number anywhere in the database (GB/T 35273 §6.3, 等保 数据保密性)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from sifa.accounts.tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _exercise(api):
    tree = factories.build_tree()
    person = factories.person()
    company = factories.company()
    phone = person.user.reveal_phone()
    # Logins and SMS codes write axes records, audit events and SMS messages: check those too.
    api.post("/api/v1/auth/token/", {"username": phone, "password": "Wrong-pass-99"}, format="json")
    api.post("/api/v1/auth/token/", {"username": phone, "password": factories.PASSWORD}, format="json")
    api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
    api.post("/api/v1/auth/token/", {"username": "13912345678", "password": "Wrong-pass-99"}, format="json")
    return tree, [person.reveal_id_number(), phone, company.user.reveal_phone(), "13912345678"], person


def _assert_absent(blob: bytes, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret.encode() not in blob, f"plaintext {secret[:3]}… found in the database"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads the SQLite file")
def test_sqlite_file_holds_no_plaintext_identifiers(api):
    _tree, secrets, person = _exercise(api)
    connection.close()  # checkpoint the WAL so the main file is complete, then read both
    path = Path(connection.settings_dict["NAME"])
    blob = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert person.id_number_masked.encode() in blob  # we are reading the right database
    _assert_absent(blob, secrets)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="dumps the PostgreSQL database")
def test_postgres_dump_holds_no_plaintext_identifiers(api):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _tree, secrets, person = _exercise(api)
    db = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert person.id_number_masked.encode() in result.stdout
    _assert_absent(result.stdout, secrets)
