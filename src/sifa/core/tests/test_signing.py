"""SM2-with-SM3 / Ed25519 signatures, key rings and rotation — checked against the real openssl CLI."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import pickle
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.core.signing import (
    ED25519,
    SM2_WITH_SM3,
    CanonicalJsonError,
    KeyRing,
    KeyRingError,
    SigningError,
    UnknownKeyError,
    canonical_json,
    default_keyring,
    generate_signer,
    load_signer,
    load_verifier,
    make_key_id,
    parse_canonical_json,
)

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command line is not installed")
DISTID = "distid:1234567812345678"
DATA = canonical_json({"holder": "张三", "licence_id": "1.2.156.3005.2.X", "serial": 20260001})


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPENSSL or "openssl", *args], capture_output=True, text=True, check=check, timeout=30
    )


def openssl_verifies(pub: Path, data: bytes, signature: bytes, tmp_path: Path) -> bool:
    """Both openssl routes a relying party would use: pkeyutl -rawin and dgst -sm3."""
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(signature)
    pkeyutl = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-in", str(tmp_path / "data"), "-sigfile", str(tmp_path / "sig"), check=False,
    )  # fmt: skip
    dgst = openssl(
        "dgst", "-sm3", "-verify", str(pub), "-sigopt", DISTID,
        "-signature", str(tmp_path / "sig"), str(tmp_path / "data"), check=False,
    )  # fmt: skip
    assert (pkeyutl.returncode == 0) == (dgst.returncode == 0), (pkeyutl.stdout, dgst.stdout)
    return pkeyutl.returncode == 0 and "Signature Verified Successfully" in pkeyutl.stdout


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    keyring = KeyRing(tmp_path / "keys")
    keyring.rotate(SM2_WITH_SM3)
    return keyring


# --- SM2 interoperability with openssl ----------------------------------------------------------


@needs_openssl
def test_our_sm2_signature_verifies_with_openssl(ring: KeyRing, tmp_path: Path) -> None:
    key_id, signature = ring.sign(DATA)
    pub = tmp_path / "pub.pem"
    pub.write_text(ring.verifier(key_id).public_key_pem())

    assert openssl_verifies(pub, DATA, signature, tmp_path)
    assert not openssl_verifies(pub, flip(DATA, 5), signature, tmp_path)
    assert not openssl_verifies(pub, DATA, flip(signature, len(signature) - 3), tmp_path)


@needs_openssl
def test_openssl_signature_verifies_with_our_verifier(tmp_path: Path) -> None:
    key, pub = tmp_path / "k.pem", tmp_path / "p.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", str(key))
    openssl("pkey", "-in", str(key), "-pubout", "-out", str(pub))
    (tmp_path / "data").write_bytes(DATA)
    openssl("pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
            "-in", str(tmp_path / "data"), "-out", str(tmp_path / "s1"))  # fmt: skip
    openssl("dgst", "-sm3", "-sign", str(key), "-sigopt", DISTID, "-out", str(tmp_path / "s2"),
            str(tmp_path / "data"))  # fmt: skip
    verifier = load_verifier(pub.read_text())

    for name in ("s1", "s2"):
        signature = (tmp_path / name).read_bytes()
        assert verifier.verify(DATA, signature)
        assert not verifier.verify(flip(DATA, 0), signature)
        assert not verifier.verify(DATA, flip(signature, 10))
    # openssl's private key file loads as our signer, with the very same public key.
    assert load_signer(key.read_text(), "k").public_key_pem() == pub.read_text()


@needs_openssl
def test_openssl_reads_our_key_files_as_sm2(ring: KeyRing, tmp_path: Path) -> None:
    key_file = next((tmp_path / "keys").glob("*.pem"))
    text = openssl("pkey", "-in", str(key_file), "-text", "-noout").stdout
    assert "ASN1 OID: SM2" in text
    pubout = openssl("pkey", "-in", str(key_file), "-pubout").stdout
    assert pubout == ring.signer().public_key_pem()
    pub = tmp_path / "pub.pem"
    pub.write_text(pubout)
    assert "ASN1 OID: SM2" in openssl("pkey", "-pubin", "-in", str(pub), "-text", "-noout").stdout


@needs_openssl
def test_ed25519_round_trip_and_openssl(tmp_path: Path) -> None:
    keyring = KeyRing(tmp_path / "keys")
    info = keyring.rotate(ED25519)
    key_id, signature = keyring.sign(DATA)
    assert key_id == info.key_id and key_id.startswith("ed25519-")
    assert keyring.verify(key_id, DATA, signature)
    assert not keyring.verify(key_id, flip(DATA, 1), signature)
    assert not keyring.verify(key_id, DATA, flip(signature, 0))
    (tmp_path / "pub.pem").write_text(info.public_key_pem)
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "sig").write_bytes(signature)
    result = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
                     "-in", str(tmp_path / "data"), "-sigfile", str(tmp_path / "sig"), check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr


# --- verifiers never raise on garbage; bad keys raise clearly ----------------------------------


@settings(max_examples=60, deadline=None)
@given(garbage=st.binary(max_size=100))
def test_sm2_verifier_answers_false_for_any_garbage_signature(garbage: bytes) -> None:
    verifier = _SM2.verifier()
    assert verifier.verify(DATA, garbage) is False
    assert verifier.verify(garbage, garbage) is False


_SM2 = generate_signer(SM2_WITH_SM3, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))


def test_verifier_refuses_non_canonical_signature_encodings() -> None:
    signature = _SM2.sign(DATA)
    verifier = _SM2.verifier()
    assert verifier.verify(DATA, signature)
    assert verifier.verify(bytearray(DATA), memoryview(signature))
    assert not verifier.verify(DATA, signature + b"\x00")  # trailing bytes
    assert not verifier.verify(DATA, b"\x30\x81" + bytes([signature[1]]) + signature[2:])  # long-form length
    assert not verifier.verify(DATA, "not bytes")  # type: ignore[arg-type]
    assert not verifier.verify(DATA, b"")
    ed = generate_signer(ED25519, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)).verifier()
    assert not ed.verify(DATA, signature)
    assert not ed.verify(DATA, b"\x00" * 64)


@pytest.mark.parametrize(
    ("pem", "code"),
    [
        ("hello", "signing.bad_pem"),
        ("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n", "signing.bad_pem"),
        ("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n", "signing.bad_public_key"),
        (_SM2.private_key_pem(), "signing.bad_public_key"),
        # An SM2 SubjectPublicKeyInfo whose point is not on the curve (y changed in its last bit;
        # the only other valid y for that x is p - y, which y ^ 1 is with negligible probability).
        (
            "-----BEGIN PUBLIC KEY-----\n"
            + base64.b64encode(_SM2.public_key_der()[:-1] + bytes([_SM2.public_key_der()[-1] ^ 1])).decode()
            + "\n-----END PUBLIC KEY-----\n",
            "signing.bad_public_key",
        ),
    ],
)
def test_malformed_public_key_raises_a_clear_error(pem: str, code: str) -> None:
    with pytest.raises(SigningError) as caught:
        load_verifier(pem)
    assert caught.value.code == code
    assert caught.value.status == 400


@needs_openssl
def test_unsupported_key_algorithm_is_named(tmp_path: Path) -> None:
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(tmp_path / "k"))
    pub = openssl("pkey", "-in", str(tmp_path / "k"), "-pubout").stdout
    with pytest.raises(SigningError) as caught:
        load_verifier(pub)
    assert caught.value.code == "signing.unknown_algorithm"
    with pytest.raises(SigningError) as caught:
        load_signer((tmp_path / "k").read_text(), "x")
    assert caught.value.code == "signing.unknown_algorithm"


def test_unknown_key_id_raises_a_clear_error(ring: KeyRing) -> None:
    with pytest.raises(UnknownKeyError) as caught:
        ring.verify("sm2-2099-01-deadbeef", DATA, b"sig")
    assert caught.value.code == "signing.unknown_key"
    assert caught.value.status == 400
    assert "sm2-2099-01-deadbeef" in caught.value.message


# --- keys: ids, rotation, storage ---------------------------------------------------------------


def test_signature_made_before_rotation_still_verifies_after_it(ring: KeyRing, tmp_path: Path) -> None:
    old_id, old_signature = ring.sign(DATA)
    other_process = KeyRing(tmp_path / "keys")  # a web worker that loaded the keys before rotation
    assert other_process.signer().key_id == old_id

    new = ring.rotate()
    new_id, new_signature = ring.sign(DATA)

    assert new_id == new.key_id != old_id
    for keyring in (ring, other_process):
        assert keyring.verify(old_id, DATA, old_signature)
        assert keyring.verify(new_id, DATA, new_signature)
        assert not keyring.verify(old_id, DATA, new_signature)
    assert other_process.signer().key_id == new_id
    listed = {k["key_id"]: k for k in ring.public_keys()}
    assert listed[old_id]["status"] == "retired" and listed[old_id]["valid_until"] is not None
    assert listed[new_id]["status"] == "active" and listed[new_id]["valid_until"] is None
    assert set(listed[new_id]) == {
        "key_id",
        "algorithm",
        "public_key_pem",
        "valid_from",
        "valid_until",
        "status",
    }


def test_key_id_names_algorithm_month_and_sm3_of_the_public_key(ring: KeyRing) -> None:
    signer = ring.signer()
    prefix, year, month, digest = signer.key_id.split("-")
    assert prefix == "sm2" and len(year) == 4 and len(month) == 2
    assert signer.key_id == make_key_id(SM2_WITH_SM3, signer.public_key_der(), ring.keys()[0].valid_from)
    assert len(digest) == 8


def test_key_files_private_key_is_0600_and_metadata_holds_no_secret(ring: KeyRing, tmp_path: Path) -> None:
    key_id = ring.signer().key_id
    pem_file, meta_file = tmp_path / "keys" / f"{key_id}.pem", tmp_path / "keys" / f"{key_id}.json"
    assert pem_file.stat().st_mode & 0o777 == 0o600
    meta = json.loads(meta_file.read_text())
    assert meta == {
        "key_id": key_id,
        "algorithm": SM2_WITH_SM3,
        "valid_from": meta["valid_from"],
        "valid_until": None,
        "status": "active",
    }


def test_private_key_never_appears_in_repr_str_or_logs(
    ring: KeyRing, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ring.rotate()
    signer = ring.signer()
    ring.sign(DATA)
    pem = signer.private_key_pem()
    body = "".join(pem.splitlines()[1:-1])
    raw_private = _private_scalar(pem)
    shown = repr(signer) + str(signer) + repr(ring) + repr(signer.verifier()) + caplog.text
    assert signer.key_id in caplog.text
    for secret in (body, body[:40], raw_private.hex(), raw_private.hex().upper()):
        assert secret not in shown
    with pytest.raises(TypeError):
        pickle.dumps(signer)


def _private_scalar(pem: str) -> bytes:
    der = base64.b64decode("".join(pem.splitlines()[1:-1]))
    marker = der.index(b"\x04\x20")  # OCTET STRING (32) holding the SM2 private scalar
    return der[marker + 2 : marker + 34]


def test_retired_key_kept_as_public_key_only_still_verifies(ring: KeyRing, tmp_path: Path) -> None:
    old_id, signature = ring.sign(DATA)
    ring.rotate()
    # Operators may delete a retired private key and keep only its public key.
    (tmp_path / "keys" / f"{old_id}.pem").write_text(ring.verifier(old_id).public_key_pem())
    fresh = KeyRing(tmp_path / "keys")
    assert fresh.verify(old_id, DATA, signature)
    assert fresh.signer().key_id != old_id


def test_inconsistent_key_directories_are_refused(ring: KeyRing, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    key_id = ring.signer().key_id
    other = generate_signer(SM2_WITH_SM3, ring.keys()[0].valid_from)
    (keys / f"{key_id}.pem").unlink()
    (keys / f"{key_id}.pem").write_text(other.private_key_pem())  # a swapped key file
    with pytest.raises(KeyRingError) as caught:
        KeyRing(keys).signer()
    assert caught.value.code == "signing.key_id_mismatch"

    (keys / f"{other.key_id}.pem").write_text(other.private_key_pem())
    meta = json.loads((keys / f"{key_id}.json").read_text())
    (keys / f"{other.key_id}.json").write_text(json.dumps({**meta, "key_id": other.key_id}))
    (keys / f"{key_id}.pem").unlink()
    (keys / f"{key_id}.json").unlink()
    (keys / "second.json").write_text(json.dumps({**meta, "key_id": "second"}))
    (keys / "second.pem").write_text(other.private_key_pem())
    with pytest.raises(KeyRingError) as caught:
        KeyRing(keys).signer()
    assert caught.value.code == "signing.key_id_mismatch"
    (keys / "second.json").unlink()
    assert KeyRing(keys).signer().key_id == other.key_id


def test_two_active_keys_are_refused(ring: KeyRing, tmp_path: Path) -> None:
    old_id = ring.signer().key_id
    ring.rotate()
    meta_file = tmp_path / "keys" / f"{old_id}.json"
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "status": "active"}))
    with pytest.raises(KeyRingError) as caught:
        KeyRing(tmp_path / "keys").signer()
    assert caught.value.code == "signing.several_active_keys"


def test_production_key_directory_without_keys_does_not_invent_one(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError) as caught:
        KeyRing(tmp_path / "missing").signer()
    assert caught.value.code == "signing.not_configured"
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyRingError) as caught:
        KeyRing(tmp_path / "empty").signer()
    assert caught.value.code == "signing.no_active_key"


@pytest.fixture
def fresh_default_keyring():
    default_keyring.cache_clear()
    yield default_keyring
    default_keyring.cache_clear()


def test_development_generates_an_sm2_key_on_first_use(settings, tmp_path, fresh_default_keyring) -> None:
    settings.VAR_DIR = tmp_path
    settings.SIGNING_KEY_DIR = ""  # the test run configures a directory of its own (conftest.py)
    key_id, signature = fresh_default_keyring().sign(DATA)
    key_dir = tmp_path / "keys" / "signing"
    assert key_id.startswith("sm2-")
    assert (key_dir / f"{key_id}.pem").stat().st_mode & 0o777 == 0o600
    assert KeyRing(key_dir).verify(key_id, DATA, signature)
    assert fresh_default_keyring().signer().key_id == key_id  # generated once, then reused


def test_production_requires_a_key_directory(settings, fresh_default_keyring) -> None:
    settings.DEBUG = False
    settings.TESTING = False
    settings.SIGNING_KEY_DIR = ""
    with pytest.raises(KeyRingError) as caught:
        fresh_default_keyring()
    assert caught.value.code == "signing.not_configured"


# --- sifa keys ----------------------------------------------------------------------------------


def test_keys_command_rotates_lists_and_exports_public_keys(tmp_path: Path, capsys) -> None:
    key_dir = str(tmp_path / "keys")
    call_command("keys", "--key-dir", key_dir, "rotate")
    call_command("keys", "--key-dir", key_dir, "rotate", "--algorithm", ED25519)
    capsys.readouterr()
    call_command("keys", "--key-dir", key_dir, "list", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(k["algorithm"], k["status"]) for k in listed] == [(ED25519, "active"), (SM2_WITH_SM3, "retired")]

    call_command("keys", "--key-dir", key_dir, "export-public", "--key-id", listed[1]["key_id"])
    exported = capsys.readouterr().out
    assert "PRIVATE" not in exported
    assert load_verifier(exported).public_key_pem() == listed[1]["public_key_pem"]
    with pytest.raises(CommandError, match=r"signing\.unknown_key"):
        call_command("keys", "--key-dir", key_dir, "export-public", "--key-id", "nope")


# --- canonical JSON -----------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    value = {"b": [True, None, 2], "a": '张三\n"引号"', "c": {"z": 1, "y": ""}}
    assert canonical_json(value) == '{"a":"张三\\n\\"引号\\"","b":[true,null,2],"c":{"y":"","z":1}}'.encode()
    assert parse_canonical_json(canonical_json(value)) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"fee": 1.5}, "canonical_json.float"),
        ({"n": float("nan")}, "canonical_json.float"),
        ({1: "x"}, "canonical_json.key"),
        ({"n": 2**53}, "canonical_json.integer_range"),
        ({"d": object()}, "canonical_json.type"),
        ({"s": "\ud800"}, "canonical_json.encoding"),
    ],
)
def test_canonical_json_refuses_what_cannot_be_signed_unambiguously(value, code) -> None:
    with pytest.raises(CanonicalJsonError) as caught:
        canonical_json(value)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b'{"b":1,"a":2}', "canonical_json.not_canonical"),
        (b'{"a": 1}', "canonical_json.not_canonical"),
        (b'{"a":1,"a":1}', "canonical_json.duplicate_key"),
        (b'{"a":1.0}', "canonical_json.float"),
        (b'{"a":\xff}', "canonical_json.syntax"),
        (b'{"a":"\\u5f20"}', "canonical_json.not_canonical"),
        (b"[" * 2000 + b"]" * 2000, "canonical_json.too_deep"),  # not a RecursionError
    ],
)
def test_parse_canonical_json_rejects_reformatted_payloads(payload: bytes, code: str) -> None:
    with pytest.raises(CanonicalJsonError) as caught:
        parse_canonical_json(payload)
    assert caught.value.code == code


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(value=_json_values)
def test_canonical_json_round_trips_and_is_stable(value) -> None:
    payload = canonical_json(value)
    assert parse_canonical_json(payload) == value
    assert canonical_json(json.loads(payload)) == payload


# --- the signing path: Z once per key, then a digest signature (docs/keys.md, "Speed") ---------


def test_sm2_signature_over_cached_z_is_the_library_message_signature() -> None:
    """Signing e = SM3(Z ‖ M) with Z computed once per key is exactly GmSSL's message API with
    the default distinguishing id, in both directions (openssl is checked above)."""
    import gmssl_pyx

    from sifa.core.signing.sm2 import DISTINGUISHING_ID, z_value

    public = _SM2.public_key_der()[-64:]  # SubjectPublicKeyInfo ends with 04 ‖ x ‖ y
    for data in (b"", DATA, DATA * 50):
        signature = _SM2.sign(data)
        assert gmssl_pyx.sm2_verify(public, data, signature, DISTINGUISHING_ID)
        assert not gmssl_pyx.sm2_verify(public, data + b"x", signature, DISTINGUISHING_ID)
    # A signature by the library's own sm2_sign verifies with our verifier.
    fresh_public, fresh_private = gmssl_pyx.sm2_key_generate()
    theirs = gmssl_pyx.sm2_sign(fresh_private, fresh_public, DATA, DISTINGUISHING_ID)
    from sifa.core.signing.sm2 import Sm2Verifier

    assert Sm2Verifier(fresh_public).verify(DATA, theirs)
    assert not Sm2Verifier(fresh_public).verify(DATA + b"x", theirs)
    # GB/T 32918.2 Annex A style check of Z's inputs: 2-byte ENTL = 128 bits for the default id.
    assert len(z_value(fresh_public)) == 32
    assert z_value(fresh_public) != z_value(fresh_public, b"ALICE123@YAHOO.COM")


def test_sm2_signing_is_not_the_slow_per_call_context_path() -> None:
    """GmSSL's sm2_sign_init precomputes 32 nonces per call (≈ 3 ms a signature, 10× a verify).
    Our signer must stay well under that: 200 signatures in far less than 200 × 3 ms. CPU time of
    this process, not wall time, so a loaded machine does not fail it."""
    import time

    started = time.process_time()
    for index in range(200):
        _SM2.sign(DATA + bytes([index]))
    # ≈ 0.07 s measured (OpenSSL ≈ 0.35 ms a signature); ≈ 0.6 s on the slow path
    assert time.process_time() - started < 0.4


# --- the backends: OpenSSL's libcrypto (primary) and gmssl-pyx (fallback), ADR 0011 -------------


def _backends():
    from sifa.core.signing.sm2 import GmsslBackend, OpenSslBackend

    return OpenSslBackend(), GmsslBackend()


def test_sm2_runs_on_openssl_libcrypto_here() -> None:
    """Debian 12's libcrypto.so.3 has SM2, so the backend chosen once per process is OpenSSL's."""
    from sifa.core.signing import libcrypto
    from sifa.core.signing.sm2 import backend_name

    assert backend_name() == "openssl"
    assert libcrypto.version().startswith("OpenSSL 3.")


@pytest.mark.parametrize("signing", ["openssl", "gmssl-pyx"])
def test_each_backend_verifies_the_others_signatures(signing: str) -> None:
    from sifa.core.signing.sm2 import Sm2Signer, Sm2Verifier

    backends = {backend.name: backend for backend in _backends()}
    other = backends["gmssl-pyx" if signing == "openssl" else "openssl"]
    signer = Sm2Signer(Sm2Signer.generate()._Sm2Signer__private, None, "k", using=backends[signing])
    public = signer.verifier()._public
    for data in (b"", DATA, DATA * 50):
        signature = signer.sign(data)
        assert Sm2Verifier(public, using=other).verify(data, signature)
        assert Sm2Verifier(public, using=backends[signing]).verify(data, signature)
        assert not Sm2Verifier(public, using=other).verify(data + b"x", signature)
        assert not Sm2Verifier(public, using=other).verify(data, flip(signature, len(signature) - 1))


@needs_openssl
def test_gmssl_fallback_signature_verifies_with_the_openssl_command_line(tmp_path: Path) -> None:
    from sifa.core.signing.sm2 import GmsslBackend, Sm2Signer

    signer = Sm2Signer(bytes(range(7, 39)), None, "k", using=GmsslBackend())
    pub = tmp_path / "pub.pem"
    pub.write_text(signer.public_key_pem())
    assert openssl_verifies(pub, DATA, signer.sign(DATA), tmp_path)


def test_libcrypto_leaves_no_error_on_the_queue_after_a_bad_signature() -> None:
    """A failed verify pushes errors onto OpenSSL's per-thread queue; they are cleared, so hashlib
    or cryptography in the same thread never sees a stale error."""
    from sifa.core.signing import libcrypto

    lib = libcrypto._library()
    signer = generate_signer(SM2_WITH_SM3, dt.datetime.now(dt.UTC))
    verifier = signer.verifier()
    good = signer.sign(DATA)
    bad_der = b"\x30\x06\x02\x01\x01\x02\x01\x01"  # r = s = 1: well-formed, wrong
    for signature in (flip(good, 12), bad_der):
        assert not verifier._key.verify_digest(bytes(32), signature)
        assert lib.ERR_peek_error() == 0
    assert not verifier._key.verify_digest(bytes(32), b"\x00garbage")
    assert lib.ERR_peek_error() == 0
    assert verifier.verify(DATA, good)


def test_libcrypto_keys_sign_and_verify_from_several_threads_at_once() -> None:
    """One key object, four threads: each gets its own EVP_PKEY_CTX (contexts are not shared)."""
    import threading

    signer = generate_signer(SM2_WITH_SM3, dt.datetime.now(dt.UTC))
    verifier = signer.verifier()
    failures: list[int] = []

    def work(seed: int) -> None:
        for index in range(150):
            data = DATA + bytes([seed, index % 256])
            signature = signer.sign(data)
            if not verifier.verify(data, signature) or verifier.verify(data + b"!", signature):
                failures.append(index)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_libcrypto_refuses_a_key_that_is_not_sm2() -> None:
    from sifa.core.signing import libcrypto

    p256 = base64.b64decode(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8"
        "maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ=="
    )
    with pytest.raises(libcrypto.LibcryptoError):
        libcrypto.Sm2Key(p256, private=False)
    with pytest.raises(libcrypto.LibcryptoError):
        libcrypto.Sm2Key(b"\x30\x03\x02\x01\x00", private=True)


@needs_openssl
def test_libcrypto_derives_the_same_public_key_as_the_standard_curve(tmp_path: Path) -> None:
    """standards.md §10.1's curve: openssl's own public key for our private scalar equals d·G
    computed in Python from the GB/T 32918.5 constants in sm2.py (a SEC1 key without its public
    part makes openssl compute it)."""
    from sifa.core.signing import pem
    from sifa.core.signing.sm2 import OID_SM2, public_from_private

    private = bytes(range(3, 35))
    sec1 = pem.tlv(
        pem.SEQUENCE,
        pem.encode_integer(1) + pem.tlv(pem.OCTET_STRING, private) + pem.tlv(0xA0, pem.tlv(pem.OID, OID_SM2)),
    )
    key = tmp_path / "k.pem"
    key.write_text(pem.pem_encode("EC PRIVATE KEY", sec1))
    text = openssl("ec", "-in", str(key), "-text", "-noout").stdout
    hex_lines = text.split("pub:")[1].split("ASN1 OID")[0]
    public = bytes.fromhex("".join(hex_lines.split()).replace(":", ""))
    assert public == b"\x04" + public_from_private(private)


def test_sm2_backend_setting_forces_the_fallback_or_refuses_a_bad_name(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from sifa.core.signing import sm2

    try:
        settings.SM2_BACKEND = "gmssl-pyx"
        sm2.backend.cache_clear()
        assert sm2.backend_name() == "gmssl-pyx"
        signer = sm2.Sm2Signer.generate("k")
        assert sm2.Sm2Verifier(signer.verifier()._public, using=sm2.OpenSslBackend()).verify(
            DATA, signer.sign(DATA)
        )
        settings.SM2_BACKEND = "openssl"
        sm2.backend.cache_clear()
        assert sm2.backend_name() == "openssl"
        settings.SM2_BACKEND = "libsodium"
        sm2.backend.cache_clear()
        with pytest.raises(ImproperlyConfigured):
            sm2.backend()
    finally:
        sm2.backend.cache_clear()
