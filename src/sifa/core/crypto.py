"""National-algorithm primitives: SM3 digests, HMAC-SM3 blind indexes, SM4-GCM field encryption.

Personal fields are sealed with SM4-GCM (128-bit key, 96-bit random nonce, 128-bit tag) and the
row's identity as associated data, so a ciphertext copied onto another row or field fails to
decrypt. The sealed form is self-describing::

    b"S1" | len(key_id) (1 byte) | key_id | nonce (12) | ciphertext | tag (16)

so keys can rotate: the first configured key encrypts, every configured key decrypts. Exact
lookups use a keyed HMAC-SM3 "blind index" instead of decrypting rows.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_MAGIC = b"S1"
_NONCE = 12
_TAG = 16


class CryptoError(Exception):
    """A sealed value could not be opened (wrong key, wrong row, or tampered bytes)."""


_SM3 = hashlib.new("sm3")
"""An empty SM3 state, copied for each digest: ``hashlib.new`` looks the algorithm up in OpenSSL on
every call (the bearer token's digest is taken on every API request), a copy does not."""


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905), via OpenSSL."""
    digest = _SM3.copy()
    digest.update(data)
    return digest.digest()


def sm3_hex(data: bytes) -> str:
    digest = _SM3.copy()
    digest.update(data)
    return digest.hexdigest()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


@lru_cache(maxsize=8)
def _keyed_sm3(key: bytes) -> crypto_hmac.HMAC:
    """An HMAC-SM3 state keyed with ``key`` and fed nothing yet, copied for each MAC: keying it
    (two SM3 blocks of the padded key) on every call cost about half of a short MAC (a blind
    index on every progress query). The copy gives the same MAC as :func:`hmac_sm3`."""
    return crypto_hmac.HMAC(key, hashes.SM3())


def hmac_sm3_keyed(key: bytes, data: bytes) -> bytes:
    """:func:`hmac_sm3`, from the keyed state of ``key`` kept for the process."""
    mac = _keyed_sm3(key).copy()
    mac.update(data)
    return mac.finalize()


def sm4_gcm_encrypt(
    key: bytes, plaintext: bytes, aad: bytes, nonce: bytes | None = None
) -> tuple[bytes, bytes]:
    """Return (nonce, ciphertext||tag)."""
    nonce = nonce or secrets.token_bytes(_NONCE)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce, body + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < _TAG:
        raise CryptoError("sealed value too short")
    body, tag = sealed[:-_TAG], sealed[-_TAG:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise CryptoError("authentication failed") from None


def parse_field_keys(spec: str) -> dict[str, bytes]:
    """Parse ``id:hex32[,id:hex32…]`` into an ordered mapping (first = current key)."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key_id, sep, hex_key = part.partition(":")
        if not sep or not key_id or len(key_id) > 32:
            raise ValueError("field keys must look like id:hex32[,id:hex32]")
        key = bytes.fromhex(hex_key)
        if len(key) != 16:
            raise ValueError(f"field key {key_id!r} must be 16 bytes (32 hex digits) for SM4")
        keys[key_id] = key
    if not keys:
        raise ValueError("at least one field key is required")
    return keys


@dataclass(frozen=True)
class FieldCipher:
    """Seals and opens personal fields; computes blind indexes."""

    keys: dict[str, bytes]
    index_key: bytes

    @property
    def current_key_id(self) -> str:
        return next(iter(self.keys))

    def seal(self, plaintext: str, aad: str) -> bytes:
        key_id = self.current_key_id
        nonce, sealed = sm4_gcm_encrypt(self.keys[key_id], plaintext.encode(), aad.encode())
        kid = key_id.encode()
        return _MAGIC + bytes([len(kid)]) + kid + nonce + sealed

    def open(self, blob: bytes | memoryview, aad: str) -> str:
        data = bytes(blob)
        if not data.startswith(_MAGIC) or len(data) < 3:
            raise CryptoError("not a sealed value")
        kid_len = data[2]
        key_id = data[3 : 3 + kid_len].decode()
        rest = data[3 + kid_len :]
        key = self.keys.get(key_id)
        if key is None:
            raise CryptoError(f"unknown field key {key_id!r}")
        return sm4_gcm_decrypt(key, rest[:_NONCE], rest[_NONCE:], aad.encode()).decode()

    def key_id_of(self, blob: bytes | memoryview) -> str:
        data = bytes(blob)
        return data[3 : 3 + data[2]].decode()

    def blind_index(self, value: str, purpose: str) -> str:
        """HMAC-SM3 over ``purpose:value``; the purpose keeps indexes of different fields unlinkable."""
        return hmac_sm3_keyed(self.index_key, f"{purpose}:{value}".encode()).hex()


@lru_cache(maxsize=1)
def field_cipher() -> FieldCipher:
    """The process-wide cipher built from settings (FIELD_KEYS, BLIND_INDEX_KEY)."""
    from django.conf import settings

    return FieldCipher(
        keys=parse_field_keys(settings.FIELD_KEYS), index_key=bytes.fromhex(settings.BLIND_INDEX_KEY)
    )


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())
