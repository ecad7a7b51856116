"""The simulator's bench-only unsigned mode (W9's denominator, docs/performance.md): it exists only
with ``--unsigned-bench``, which is refused without SIFA_DEBUG; it answers like the signed path,
without any signature; and the signed path still refuses an unsigned message."""

from __future__ import annotations

import base64
import io
import json
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.core.signing import canonical_json
from sifa.exchange.envelope import Envelope, now_timestamp
from sifa.exchange.simulator.protocol import SifaKeys
from sifa.exchange.simulator.server import PLACEHOLDER_SIGNATURE, Simulator
from sifa.exchange.simulator.store import Store
from sifa.testing import id_number

from .conftest import signer_of

pytestmark = pytest.mark.django_db


def simulator(world, tmp_path: Path, *, unsigned_bench: bool) -> Simulator:
    world["ring"].signer()  # Sifa's key exists before its public keys are published
    keys = tmp_path / "sifa-keys.json"
    keys.write_text(json.dumps(world["ring"].public_keys()), encoding="utf-8")
    return Simulator(
        kind="police",
        signer=signer_of(world, "police"),
        store=Store(tmp_path / "police.sqlite3"),
        keys=SifaKeys(str(keys)),
        unsigned_bench=unsigned_bench,
    )


def unsigned_request(world) -> dict:
    header = {
        "kind": "request",
        "issue": "",
        "purpose": "核验申请人身份",
        "service": {"code": "identity.verify", "version": "1"},
        "sender": world["orgs"]["hz"].uscc,
        "receiver": world["partners"]["police"].uscc,
        "user_id": {"official": "bench", "organisation": world["orgs"]["hz"].name},
        "message_id": str(uuid.uuid4()),
        "correlation_id": None,
        "timestamp": now_timestamp(),
        "key_id": "unsigned-bench",
        "body_digest": "0" * 64,
    }
    body = {"name": "张三", "id_number": id_number("33010619900101123")}
    return Envelope(canonical_json(header), canonical_json(body), b"\x00").as_wire()


def call(app: Simulator, path: str, wire: dict) -> tuple[str, dict]:
    raw = json.dumps(wire).encode("utf-8")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers: status.append(s)))
    return status[0], json.loads(body)


def test_the_unsigned_path_exists_only_with_the_flag(world, tmp_path):
    app = simulator(world, tmp_path, unsigned_bench=False)
    status, body = call(app, "/bench/unsigned/", unsigned_request(world))
    assert status.startswith("404") and body["code"] == "not_found"


def test_the_unsigned_path_answers_without_signatures_and_the_signed_path_still_checks(world, tmp_path):
    app = simulator(world, tmp_path, unsigned_bench=True)
    wire = unsigned_request(world)
    status, answer = call(app, "/bench/unsigned/", wire)
    assert status.startswith("200")
    envelope = Envelope.from_wire(answer)
    header = json.loads(envelope.header_bytes)
    assert header["correlation_id"] == wire["header"]["message_id"]
    assert header["key_id"] == signer_of(world, "police").key_id
    assert envelope.signature == PLACEHOLDER_SIGNATURE
    assert json.loads(envelope.body_bytes)["match"] is True
    # The same message again: the stored answer (the partner's idempotency is kept).
    assert call(app, "/bench/unsigned/", wire)[1] == answer

    # The real endpoint of the same process still refuses anything not signed by Sifa.
    other = unsigned_request(world)
    status, refused = call(app, "/exchange/", other)
    assert status.startswith("403") and refused["code"] == "exchange.unknown_key"
    other = unsigned_request(world)
    other["header"]["key_id"] = world["ring"].signer().key_id  # Sifa's real key, no signature
    other["signature"] = base64.b64encode(PLACEHOLDER_SIGNATURE).decode()
    status, refused = call(app, "/exchange/", other)
    assert status.startswith("403") and refused["code"] == "exchange.bad_signature"


def test_the_flag_is_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="SIFA_DEBUG"):
        call_command("partner-sim", "--as", "police", "--port", "1", "--unsigned-bench")
