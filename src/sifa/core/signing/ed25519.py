"""Ed25519 (RFC 8032) through ``cryptography``: the portable alternative where SM2 is not required."""

from __future__ import annotations

from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sifa.core.signing import pem as der
from sifa.core.signing.base import ED25519, Signer, SigningError, Verifier, as_bytes

OID_ED25519 = bytes.fromhex("2b6570")  # 1.3.101.112 (RFC 8410)


class Ed25519Verifier(Verifier):
    algorithm: ClassVar[str] = ED25519

    def __init__(self, public: Ed25519PublicKey, key_id: str | None = None) -> None:
        super().__init__(key_id)
        self._public = public

    @classmethod
    def from_spki(cls, spki: bytes, key_id: str | None = None) -> Ed25519Verifier:
        try:
            key = serialization.load_der_public_key(spki)
        except ValueError:
            raise SigningError("signing.bad_public_key", "Ed25519 公钥结构无效") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningError("signing.bad_public_key", "公钥不是 Ed25519 公钥")
        return cls(key, key_id)

    def verify(self, data: bytes, signature: bytes) -> bool:
        data_bytes, signature_bytes = as_bytes(data), as_bytes(signature)
        if data_bytes is None or signature_bytes is None or len(signature_bytes) != 64:
            return False
        try:
            self._public.verify(signature_bytes, data_bytes)
        except InvalidSignature:
            return False
        return True

    def public_key_der(self) -> bytes:
        return self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_key_pem(self) -> str:
        return der.pem_encode("PUBLIC KEY", self.public_key_der())


class Ed25519Signer(Signer):
    algorithm: ClassVar[str] = ED25519

    def __init__(self, private: Ed25519PrivateKey, key_id: str) -> None:
        super().__init__(key_id)
        self.__private = private

    @classmethod
    def generate(cls, key_id: str = "") -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate(), key_id)

    @classmethod
    def from_der(cls, label: str, data: bytes, key_id: str) -> Ed25519Signer:
        try:
            key = serialization.load_der_private_key(data, password=None)
        except (ValueError, TypeError):
            raise SigningError("signing.bad_private_key", "Ed25519 私钥结构无效（应为 PKCS#8）") from None
        if label != "PRIVATE KEY" or not isinstance(key, Ed25519PrivateKey):
            raise SigningError("signing.bad_private_key", "私钥不是 Ed25519 私钥")
        return cls(key, key_id)

    def sign(self, data: bytes) -> bytes:
        data_bytes = as_bytes(data)
        if data_bytes is None:
            raise TypeError("data to sign must be bytes")
        return self.__private.sign(data_bytes)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.__private.public_key(), self.key_id)

    def private_key_pem(self) -> str:
        return self.__private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
