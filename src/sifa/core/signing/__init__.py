"""Digital signatures with key ids: SM2-with-SM3 (default) and Ed25519, canonical JSON, key rings.

    from sifa.core.signing import canonical_json, default_keyring

    payload = canonical_json(licence_data)
    key_id, signature = default_keyring().sign(payload)
    default_keyring().verify(key_id, payload, signature)  # True; retired keys still verify

See ``docs/keys.md`` for the key files, rotation and how to check a signature with openssl.
"""

from sifa.core.signing.base import (
    ED25519,
    SM2_WITH_SM3,
    KeyRingError,
    Signer,
    SigningError,
    UnknownKeyError,
    Verifier,
)
from sifa.core.signing.canonical import CanonicalJsonError, canonical_json, parse_canonical_json
from sifa.core.signing.keyring import KeyInfo, KeyRing, default_keyring
from sifa.core.signing.registry import ALGORITHMS, generate_signer, load_signer, load_verifier, make_key_id
from sifa.core.signing.sm2 import DISTINGUISHING_ID

__all__ = [
    "ALGORITHMS",
    "DISTINGUISHING_ID",
    "ED25519",
    "SM2_WITH_SM3",
    "CanonicalJsonError",
    "KeyInfo",
    "KeyRing",
    "KeyRingError",
    "Signer",
    "SigningError",
    "UnknownKeyError",
    "Verifier",
    "canonical_json",
    "default_keyring",
    "generate_signer",
    "load_signer",
    "load_verifier",
    "make_key_id",
    "parse_canonical_json",
]
