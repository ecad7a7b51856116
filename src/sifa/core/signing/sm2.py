"""SM2-with-SM3 signatures (GB/T 32918.2, GB/T 35276) through the system's OpenSSL 3 libcrypto.

The signed value is SM3(Z ‖ message) where Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) with the
distinguishing id ``1234567812345678`` (GB/T 35276 default) — exactly what
``openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678`` computes. Signatures
are DER ``SEQUENCE{INTEGER r, INTEGER s}``. Keys are stored as openssl writes them:
PKCS#8 / SubjectPublicKeyInfo with id-ecPublicKey (1.2.840.10045.2.1) and the SM2 curve
(1.2.156.10197.1.301).

The elliptic-curve operations run in one of two backends, chosen once per process (ADR 0011):
OpenSSL's libcrypto through :mod:`sifa.core.signing.libcrypto` when it has SM2 (Debian 12's
libcrypto.so.3 does), otherwise gmssl-pyx (GmSSL 3.2 in C). Both sign and verify the same digest
e = SM3(Z ‖ M) and produce the same DER form, so signatures of either verify with the other and with
the ``openssl`` command line. :func:`backend_name` says which one runs; it is logged once.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from typing import ClassVar, Protocol

from django.core.exceptions import ImproperlyConfigured

from sifa.core.crypto import sm3
from sifa.core.signing import libcrypto
from sifa.core.signing import pem as der
from sifa.core.signing.base import SM2_WITH_SM3, Signer, SigningError, Verifier, as_bytes

DISTINGUISHING_ID = b"1234567812345678"

OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1
OID_SM2 = bytes.fromhex("2a811ccf5501822d")  # 1.2.156.10197.1.301

# GB/T 32918.5 recommended curve parameters.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

_ALGORITHM_ID = der.tlv(der.SEQUENCE, der.tlv(der.OID, OID_EC_PUBLIC_KEY) + der.tlv(der.OID, OID_SM2))


def _on_curve(x: int, y: int) -> bool:
    return x < P and y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _point_add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def public_from_private(private: bytes) -> bytes:
    """d·G as 64 bytes x‖y. Pure Python (~ms): only used when loading a key, to catch a key file
    whose embedded public key does not belong to its private key."""
    scalar = int.from_bytes(private, "big")
    result, addend = None, G
    while scalar:
        if scalar & 1:
            result = _point_add(result, addend)
        addend = _point_add(addend, addend)
        scalar >>= 1
    assert result is not None  # d is in [1, n-2], so d·G is never the point at infinity
    return result[0].to_bytes(32, "big") + result[1].to_bytes(32, "big")


def z_value(public: bytes, distinguishing_id: bytes = DISTINGUISHING_ID) -> bytes:
    """Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5) for a 64-byte public key.

    It depends only on the key and the distinguishing id, so signers and verifiers compute it once
    per key; a signature is then over e = SM3(Z ‖ message), exactly what ``sm2_sign``/openssl
    ``-digest sm3 -pkeyopt distid:…`` compute per call.
    """
    entl = (len(distinguishing_id) * 8).to_bytes(2, "big")
    curve = b"".join(value.to_bytes(32, "big") for value in (A, B, G[0], G[1]))
    return sm3(entl + distinguishing_id + curve + public)


def _check_public(point: bytes) -> bytes:
    """Accept 04‖x‖y (or 64 raw bytes) on the SM2 curve; return 64 bytes x‖y."""
    raw = point[1:] if len(point) == 65 and point[0] == 4 else point
    if len(raw) != 64 or not _on_curve(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")):
        raise SigningError("signing.bad_public_key", "SM2 公钥不是曲线上的有效点")
    return raw


def _strict_signature(signature: bytes) -> bool:
    """True for a minimal DER SEQUENCE{r, s} with 1 ≤ r, s < n and nothing after it.

    GmSSL itself accepts some non-canonical encodings (and prints C error traces to stderr for
    garbage), so we refuse those before calling it: a signature has exactly one valid byte form.
    """
    try:
        items = der.read_sequence(signature)
        if len(items) != 2 or any(tag != der.INTEGER for tag, _ in items):
            return False
        r, s = (der.decode_integer(value) for _, value in items)
    except ValueError:
        return False
    return 0 < r < N and 0 < s < N


def spki_der(public: bytes) -> bytes:
    return der.tlv(der.SEQUENCE, _ALGORITHM_ID + der.tlv(der.BIT_STRING, b"\x00\x04" + public))


def pkcs8_der(private: bytes, public: bytes) -> bytes:
    ec_private_key = der.tlv(
        der.SEQUENCE,
        der.encode_integer(1)
        + der.tlv(der.OCTET_STRING, private)
        + der.tlv(0xA1, der.tlv(der.BIT_STRING, b"\x00\x04" + public)),
    )
    return der.tlv(
        der.SEQUENCE, der.encode_integer(0) + _ALGORITHM_ID + der.tlv(der.OCTET_STRING, ec_private_key)
    )


logger = logging.getLogger("sifa.signing")


class _PublicKey(Protocol):
    def verify_digest(self, digest: bytes, signature: bytes) -> bool: ...


class _PrivateKey(Protocol):
    def sign_digest(self, digest: bytes) -> bytes: ...


class OpenSslBackend:
    """SM2 in the system's OpenSSL 3 libcrypto (``EVP_PKEY_sign``/``EVP_PKEY_verify``)."""

    name = "openssl"

    def public(self, public: bytes) -> _PublicKey:
        try:
            return libcrypto.Sm2Key(spki_der(public), private=False)
        except libcrypto.LibcryptoError:
            raise SigningError("signing.bad_public_key", "SM2 公钥不是曲线上的有效点") from None

    def private(self, private: bytes, public: bytes) -> _PrivateKey:
        try:
            return libcrypto.Sm2Key(pkcs8_der(private, public), private=True)
        except libcrypto.LibcryptoError:
            raise SigningError("signing.bad_private_key", "SM2 私钥不在有效范围内") from None

    def generate(self) -> bytes:
        # d uniform in [1, n − 2] (GB/T 32918.1 §6.1) from the operating system's CSPRNG; the
        # public key is derived (and checked) by Sm2Signer.
        return (secrets.randbelow(N - 2) + 1).to_bytes(32, "big")


class _GmsslPublic:
    __slots__ = ("_public",)

    def __init__(self, public: bytes) -> None:
        self._public = public

    def verify_digest(self, digest: bytes, signature: bytes) -> bool:
        import gmssl_pyx

        try:
            return bool(gmssl_pyx.sm2_verify_sm3_digest(self._public, digest, signature))
        except gmssl_pyx.GmsslInnerError:
            return False


class _GmsslPrivate:
    __slots__ = ("_private",)

    def __init__(self, private: bytes) -> None:
        self._private = private

    def sign_digest(self, digest: bytes) -> bytes:
        import gmssl_pyx

        # Not gmssl_pyx.sm2_sign: GmSSL's sm2_sign_init precomputes a table of 32 (k, k·G) pairs
        # for the context on every call and then uses one (≈ 3 ms; docs/keys.md, "Performance").
        return gmssl_pyx.sm2_sign_sm3_digest(self._private, digest)


class GmsslBackend:
    """The fallback: gmssl-pyx (GmSSL 3.2 in C), for a libcrypto without SM2."""

    name = "gmssl-pyx"

    def public(self, public: bytes) -> _PublicKey:
        return _GmsslPublic(public)

    def private(self, private: bytes, public: bytes) -> _PrivateKey:
        return _GmsslPrivate(private)

    def generate(self) -> bytes:
        import gmssl_pyx

        return gmssl_pyx.sm2_key_generate()[1]


# The self-test key pair of backend(): a fixed scalar, used for nothing else.
_SELF_TEST_PRIVATE = bytes(range(1, 33))


@lru_cache(maxsize=1)
def backend() -> OpenSslBackend | GmsslBackend:
    """OpenSSL's libcrypto if it signs and verifies SM2 here, else gmssl-pyx; decided once per
    process (``SIFA_SM2_BACKEND``: ``auto``, ``openssl`` or ``gmssl-pyx``)."""
    from django.conf import settings

    wanted = getattr(settings, "SM2_BACKEND", "auto") if settings.configured else "auto"
    if wanted == GmsslBackend.name:
        logger.info("SM2 backend: gmssl-pyx (SIFA_SM2_BACKEND)")
        return GmsslBackend()
    if wanted not in ("auto", OpenSslBackend.name):
        raise ImproperlyConfigured(f"SIFA_SM2_BACKEND must be auto, openssl or gmssl-pyx, not {wanted!r}")
    public = public_from_private(_SELF_TEST_PRIVATE)
    if libcrypto.self_test(pkcs8_der(_SELF_TEST_PRIVATE, public), spki_der(public)):
        logger.info("SM2 backend: OpenSSL libcrypto (%s)", libcrypto.version())
        return OpenSslBackend()
    if wanted == OpenSslBackend.name:
        raise ImproperlyConfigured("SIFA_SM2_BACKEND=openssl, but this libcrypto has no usable SM2")
    logger.warning("SM2 backend: gmssl-pyx (this libcrypto has no usable SM2)")
    return GmsslBackend()


def backend_name() -> str:
    """``openssl`` or ``gmssl-pyx``: which library signs and verifies SM2 in this process."""
    return backend().name


def is_sm2_algorithm(algorithm: bytes, parameter: bytes | None) -> bool:
    """id-ecPublicKey with the SM2 curve, as openssl writes it, or the bare SM2 OID some tools use."""
    return (algorithm == OID_EC_PUBLIC_KEY and parameter == OID_SM2) or algorithm == OID_SM2


class Sm2Verifier(Verifier):
    algorithm: ClassVar[str] = SM2_WITH_SM3

    def __init__(
        self, public: bytes, key_id: str | None = None, *, using: OpenSslBackend | GmsslBackend | None = None
    ) -> None:
        super().__init__(key_id)
        self._public = _check_public(public)
        self._z = z_value(self._public)
        self._key = (using or backend()).public(self._public)

    @classmethod
    def from_spki(cls, spki: bytes, key_id: str | None = None) -> Sm2Verifier:
        try:
            algorithm, parameter, bits = der.spki_algorithm(spki)
        except ValueError:
            raise SigningError("signing.bad_public_key", "公钥结构（SubjectPublicKeyInfo）无效") from None
        if not is_sm2_algorithm(algorithm, parameter):
            raise SigningError("signing.bad_public_key", "公钥不是 SM2 公钥")
        return cls(bits, key_id)

    def verify(self, data: bytes, signature: bytes) -> bool:
        data_bytes, signature_bytes = as_bytes(data), as_bytes(signature)
        if data_bytes is None or signature_bytes is None or not _strict_signature(signature_bytes):
            return False
        # e = SM3(Z ‖ M) with Z cached per key: what openssl's ``-digest sm3 -pkeyopt distid:…`` checks.
        return self._key.verify_digest(sm3(self._z + data_bytes), signature_bytes)

    def public_key_der(self) -> bytes:
        return spki_der(self._public)

    def public_key_pem(self) -> str:
        return der.pem_encode("PUBLIC KEY", self.public_key_der())


class Sm2Signer(Signer):
    algorithm: ClassVar[str] = SM2_WITH_SM3

    def __init__(
        self,
        private: bytes,
        public: bytes | None,
        key_id: str,
        *,
        using: OpenSslBackend | GmsslBackend | None = None,
    ) -> None:
        super().__init__(key_id)
        scalar = int.from_bytes(private, "big")
        if len(private) != 32 or not 0 < scalar < N - 1:
            raise SigningError("signing.bad_private_key", "SM2 私钥不在有效范围内")
        derived = public_from_private(private)
        if public is not None and _check_public(public) != derived:
            raise SigningError("signing.bad_private_key", "SM2 私钥与其中的公钥不匹配")
        self.__private = private
        self._public = derived
        self._z = z_value(derived)
        self._using = using or backend()
        self._key = self._using.private(private, derived)

    @classmethod
    def generate(cls, key_id: str = "") -> Sm2Signer:
        return cls(backend().generate(), None, key_id)

    @classmethod
    def from_der(cls, label: str, data: bytes, key_id: str) -> Sm2Signer:
        """PKCS#8 (``PRIVATE KEY``) or SEC1 (``EC PRIVATE KEY``), as openssl writes them."""
        bad = SigningError("signing.bad_private_key", "SM2 私钥结构无效（应为 PKCS#8 或 SEC1）")
        try:
            if label == "PRIVATE KEY":
                version, algorithm, octets = read_pkcs8(data)
                algorithm_items = der.read_sequence(der.tlv(der.SEQUENCE, algorithm))
                parameter = algorithm_items[1][1] if len(algorithm_items) > 1 else None
                if version != 0 or not is_sm2_algorithm(algorithm_items[0][1], parameter):
                    raise bad
                data = octets
            items = der.read_sequence(data)
        except ValueError:
            raise bad from None
        if len(items) < 2 or items[0] != (der.INTEGER, b"\x01") or items[1][0] != der.OCTET_STRING:
            raise bad
        private = items[1][1].rjust(32, b"\x00")
        fields = dict(items[2:])
        if 0xA0 in fields and fields[0xA0] != der.tlv(der.OID, OID_SM2):
            raise bad
        public = None
        if 0xA1 in fields:
            try:
                tag, bits, _ = der.read_tlv(fields[0xA1])
            except ValueError:
                raise bad from None
            if tag != der.BIT_STRING or bits[:1] != b"\x00":
                raise bad
            public = _check_public(bits[1:])
        return cls(private, public, key_id)

    def sign(self, data: bytes) -> bytes:
        data_bytes = as_bytes(data)
        if data_bytes is None:
            raise TypeError("data to sign must be bytes")
        # e = SM3(Z ‖ M) signed as a digest, with Z computed once per key (docs/keys.md, "Performance").
        return self._key.sign_digest(sm3(self._z + data_bytes))

    def verifier(self) -> Sm2Verifier:
        return Sm2Verifier(self._public, self.key_id, using=self._using)

    def private_key_pem(self) -> str:
        return der.pem_encode("PRIVATE KEY", pkcs8_der(self.__private, self._public))


def read_pkcs8(data: bytes) -> tuple[int, bytes, bytes]:
    """(version, AlgorithmIdentifier body, privateKey octets) of a OneAsymmetricKey."""
    items = der.read_sequence(data)
    if len(items) < 3 or items[0][0] != der.INTEGER or items[1][0] != der.SEQUENCE:
        raise ValueError("not PKCS#8")
    if items[2][0] != der.OCTET_STRING:
        raise ValueError("not PKCS#8")
    return der.decode_integer(items[0][1]), items[1][1], items[2][1]
