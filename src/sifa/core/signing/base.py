"""The signer plugin contract: what every signature algorithm provides, and the errors it raises.

Open Forms style: a typed base class here, one module per algorithm (``sm2``, ``ed25519``) and a
registry (``registry``) that finds the plugin for a key. Callers only ever see :class:`Signer` and
:class:`Verifier`, so the licence and exchange apps never depend on a particular library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from sifa.core.errors import ServiceError

SM2_WITH_SM3 = "SM2-with-SM3"
ED25519 = "Ed25519"


class SigningError(ServiceError):
    """Bad key material or an unknown key id given to us: a 400 with a stable ``signing.*`` code."""


class UnknownKeyError(SigningError):
    def __init__(self, key_id: str) -> None:
        # The id is echoed back (it came from the caller); it is never key material.
        super().__init__("signing.unknown_key", f"未知的签名密钥标识：{key_id[:80]}")
        self.key_id = key_id


class KeyRingError(ServiceError):
    """The server's own key store is missing or inconsistent: the operator must act, not the user."""

    status = 503


class Verifier(ABC):
    """Checks signatures against one public key. ``verify`` answers False for any bad signature."""

    algorithm: ClassVar[str]

    def __init__(self, key_id: str | None = None) -> None:
        self.key_id = key_id

    @abstractmethod
    def verify(self, data: bytes, signature: bytes) -> bool:
        """True only for a valid signature over exactly ``data``; never raises on garbage."""

    @abstractmethod
    def public_key_pem(self) -> str:
        """The SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``) that openssl reads."""

    @abstractmethod
    def public_key_der(self) -> bytes:
        """The SubjectPublicKeyInfo DER; the key id is derived from its SM3 digest."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.algorithm} key_id={self.key_id!r}>"


class Signer(ABC):
    """Signs bytes with one private key. The private key never leaves the object.

    ``repr``/``str`` show only the algorithm and key id, and pickling is refused so that a signer
    cannot end up in a cache, a task payload or the database by accident.
    """

    algorithm: ClassVar[str]

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """The signature over ``data`` (SM2: DER ``SEQUENCE{r, s}``; Ed25519: 64 raw bytes)."""

    @abstractmethod
    def verifier(self) -> Verifier:
        """A verifier for this signer's public key."""

    @abstractmethod
    def private_key_pem(self) -> str:
        """Unencrypted PKCS#8 PEM, only for writing the key file (mode 0600)."""

    def public_key_pem(self) -> str:
        return self.verifier().public_key_pem()

    def public_key_der(self) -> bytes:
        return self.verifier().public_key_der()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.algorithm} key_id={self.key_id!r}>"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("signers hold private keys and cannot be pickled")


def as_bytes(value: bytes | bytearray | memoryview) -> bytes | None:
    """Accept the usual byte-like types; anything else is not a signature (None)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return None
