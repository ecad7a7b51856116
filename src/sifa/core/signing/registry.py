"""The algorithm registry (a :class:`~sifa.core.registry.Registry`): from a name or a PEM key to
the right signer/verifier plugin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sifa.core.crypto import sm3
from sifa.core.registry import Registry, UnknownAdapter
from sifa.core.signing import pem as der
from sifa.core.signing.base import ED25519, SM2_WITH_SM3, Signer, SigningError, Verifier
from sifa.core.signing.ed25519 import OID_ED25519, Ed25519Signer, Ed25519Verifier
from sifa.core.signing.sm2 import Sm2Signer, Sm2Verifier, is_sm2_algorithm, read_pkcs8


class _SignerClass(Protocol):
    def generate(self, key_id: str = "") -> Signer: ...
    def from_der(self, label: str, data: bytes, key_id: str) -> Signer: ...


class _VerifierClass(Protocol):
    def from_spki(self, spki: bytes, key_id: str | None = None) -> Verifier: ...


@dataclass(frozen=True)
class Algorithm:
    name: str
    key_id_prefix: str
    signer: _SignerClass
    verifier: _VerifierClass

    def owns(self, algorithm_oid: bytes, parameter: bytes | None) -> bool:
        if self.name == SM2_WITH_SM3:
            return is_sm2_algorithm(algorithm_oid, parameter)
        return algorithm_oid == OID_ED25519


ALGORITHMS: Registry[Algorithm] = Registry("signing.algorithms", "签名算法")
ALGORITHMS.register(SM2_WITH_SM3, Algorithm(SM2_WITH_SM3, "sm2", Sm2Signer, Sm2Verifier))
ALGORITHMS.register(ED25519, Algorithm(ED25519, "ed25519", Ed25519Signer, Ed25519Verifier))


def get_algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS.get(name)
    except UnknownAdapter:
        choices = "、".join(ALGORITHMS.names())
        raise SigningError(
            "signing.unknown_algorithm", f"不支持的签名算法：{name}（可选：{choices}）"
        ) from None


def make_key_id(algorithm: str, spki: bytes, when: dt.datetime) -> str:
    """``sm2-2026-11-1a2b3c4d``: algorithm, month of creation, first 8 hex of SM3(SPKI DER).

    The digest part ties the id to the public key, so a key file renamed or swapped by mistake is
    caught when the key ring loads it.
    """
    return f"{get_algorithm(algorithm).key_id_prefix}-{when:%Y-%m}-{sm3(spki)[:4].hex()}"


def key_id_matches(key_id: str, spki: bytes) -> bool:
    return key_id.rsplit("-", 1)[-1] == sm3(spki)[:4].hex()


def generate_signer(algorithm: str, when: dt.datetime) -> Signer:
    signer = get_algorithm(algorithm).signer.generate()
    signer.key_id = make_key_id(algorithm, signer.public_key_der(), when)
    return signer


def _algorithm_of_spki(spki: bytes) -> Algorithm:
    try:
        oid, parameter, _ = der.spki_algorithm(spki)
    except ValueError:
        raise SigningError("signing.bad_public_key", "公钥结构（SubjectPublicKeyInfo）无效") from None
    for algorithm in ALGORITHMS:
        if algorithm.owns(oid, parameter):
            return algorithm
    raise SigningError("signing.unknown_algorithm", "公钥算法不受支持（仅支持 SM2 与 Ed25519）")


def load_verifier(public_pem: str | bytes, key_id: str | None = None) -> Verifier:
    """A verifier for a ``PUBLIC KEY`` PEM (SM2 or Ed25519). Malformed input raises SigningError."""
    label, spki = der.pem_decode(public_pem)
    if label != "PUBLIC KEY":
        raise SigningError("signing.bad_public_key", f"应为公钥（PUBLIC KEY），收到的是 {label}")
    return _algorithm_of_spki(spki).verifier.from_spki(spki, key_id)


def load_signer(private_pem: str | bytes, key_id: str) -> Signer:
    """A signer for an unencrypted ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (SEC1, SM2) PEM."""
    label, data = der.pem_decode(private_pem)
    if label == "ENCRYPTED PRIVATE KEY":
        raise SigningError("signing.encrypted_key", "不支持加密的私钥文件，请用文件权限保护私钥")
    if label == "EC PRIVATE KEY":
        return Sm2Signer.from_der(label, data, key_id)
    if label != "PRIVATE KEY":
        raise SigningError("signing.bad_private_key", f"应为私钥（PRIVATE KEY），收到的是 {label}")
    try:
        _, algorithm_body, _ = read_pkcs8(data)
        items = der.read_sequence(der.tlv(der.SEQUENCE, algorithm_body))
    except ValueError:
        raise SigningError("signing.bad_private_key", "私钥结构（PKCS#8）无效") from None
    parameter = items[1][1] if len(items) > 1 and items[1][0] == der.OID else None
    for algorithm in ALGORITHMS:
        if items and algorithm.owns(items[0][1], parameter):
            return algorithm.signer.from_der(label, data, key_id)
    raise SigningError("signing.unknown_algorithm", "私钥算法不受支持（仅支持 SM2 与 Ed25519）")
