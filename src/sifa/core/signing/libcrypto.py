"""SM2 signatures through the system's OpenSSL 3 ``libcrypto`` (``ctypes``; ADR 0011).

No maintained Python binding signs SM2 with a distinguishing id through OpenSSL (``cryptography``
and pyOpenSSL refuse the SM2 curve; gmalglib and gmssl-pyx carry their own C implementations), so
this module calls the few libcrypto functions needed, all stable OpenSSL 3.0 API:

* a key is an ``EVP_PKEY`` decoded once from the DER that :mod:`sifa.core.signing.sm2` builds
  (``d2i_PUBKEY`` for a SubjectPublicKeyInfo, ``d2i_AutoPrivateKey`` for PKCS#8), checked to be an
  SM2 key (``EVP_PKEY_is_a(…, "SM2")``) and freed with its Python object;
* signing and verifying work on the 32-byte digest e = SM3(Z ‖ M) that the caller computed with Z
  cached per key — the same value ``openssl pkeyutl -rawin -digest sm3 -pkeyopt
  distid:1234567812345678`` signs — through ``EVP_PKEY_sign``/``EVP_PKEY_verify`` on an
  ``EVP_PKEY_CTX`` that is initialised once per key **and per thread** (a context must not be used
  by two threads at once; ``ctypes`` releases the GIL during the call, so threads really run in
  parallel). The context is freed when its thread or its key goes away;
* every return code is checked, and OpenSSL's per-thread error queue is cleared after any failure,
  so a bad signature leaves nothing behind for the next caller (e.g. ``hashlib``) to trip over.

:func:`available` answers once per process whether this libcrypto has SM2 (a sign/verify self-test
with a fixed key); :mod:`sifa.core.signing.sm2` falls back to gmssl-pyx otherwise.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from functools import lru_cache

_DIGEST_SIZE = 32
_MAX_SIGNATURE = 72  # DER SEQUENCE{r, s} of two 256-bit integers, at most 2 + 2 × 35


class LibcryptoError(Exception):
    """libcrypto refused a call that should not fail (bad key material or a missing algorithm)."""


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL | None:
    """libcrypto.so.3 with the prototypes declared, or None if it cannot be loaded."""
    names = ["libcrypto.so.3"]
    found = ctypes.util.find_library("crypto")
    if found and found not in names:
        names.append(found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            _declare(lib)
        except AttributeError:  # an OpenSSL 1.x libcrypto lacks EVP_PKEY_is_a & co.
            continue
        return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    p, i, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
    pp = ctypes.POINTER(ctypes.c_char_p)
    prototypes = {
        "d2i_PUBKEY": (p, [p, pp, ctypes.c_long]),
        "d2i_AutoPrivateKey": (p, [p, pp, ctypes.c_long]),
        "EVP_PKEY_is_a": (i, [p, ctypes.c_char_p]),
        "EVP_PKEY_free": (None, [p]),
        "EVP_PKEY_CTX_new_from_pkey": (p, [p, p, ctypes.c_char_p]),
        "EVP_PKEY_CTX_free": (None, [p]),
        "EVP_PKEY_sign_init": (i, [p]),
        "EVP_PKEY_sign": (i, [p, ctypes.c_char_p, ctypes.POINTER(sz), ctypes.c_char_p, sz]),
        "EVP_PKEY_verify_init": (i, [p]),
        "EVP_PKEY_verify": (i, [p, ctypes.c_char_p, sz, ctypes.c_char_p, sz]),
        "ERR_clear_error": (None, []),
        "ERR_peek_error": (ctypes.c_ulong, []),
        "OpenSSL_version": (ctypes.c_char_p, [i]),
    }
    for name, (restype, argtypes) in prototypes.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _lib() -> ctypes.CDLL:
    lib = _library()
    if lib is None:
        raise LibcryptoError("libcrypto (OpenSSL 3) cannot be loaded")
    return lib


def version() -> str:
    """The loaded libcrypto's version text, e.g. ``OpenSSL 3.0.19 27 Jan 2026``."""
    return _lib().OpenSSL_version(0).decode("ascii", "replace")


class _Context:
    """One initialised ``EVP_PKEY_CTX`` (sign or verify) owned by one thread; freed with it."""

    __slots__ = ("handle",)

    def __init__(self, pkey: int, sign: bool) -> None:
        lib = _lib()
        self.handle = lib.EVP_PKEY_CTX_new_from_pkey(None, pkey, None)
        if not self.handle:
            lib.ERR_clear_error()
            raise LibcryptoError("EVP_PKEY_CTX_new_from_pkey failed")
        init = lib.EVP_PKEY_sign_init if sign else lib.EVP_PKEY_verify_init
        if init(self.handle) != 1:
            lib.ERR_clear_error()
            lib.EVP_PKEY_CTX_free(self.handle)
            self.handle = None
            raise LibcryptoError("EVP_PKEY_sign_init/verify_init failed")

    def __del__(self) -> None:
        handle, self.handle = self.handle, None
        lib = _library()
        if handle and lib is not None:
            lib.EVP_PKEY_CTX_free(handle)


class Sm2Key:
    """An SM2 ``EVP_PKEY`` (public, or private with its public part) and its per-thread contexts."""

    __slots__ = ("_local", "_pkey", "private")

    def __init__(self, der: bytes, *, private: bool) -> None:
        lib = _lib()
        self._pkey = None
        self._local = threading.local()
        self.private = private
        buffer = ctypes.c_char_p(der)
        decode = lib.d2i_AutoPrivateKey if private else lib.d2i_PUBKEY
        pkey = decode(None, ctypes.byref(buffer), len(der))
        if not pkey:
            lib.ERR_clear_error()
            raise LibcryptoError("libcrypto could not decode the SM2 key")
        self._pkey = pkey
        if lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
            lib.ERR_clear_error()
            raise LibcryptoError("libcrypto does not read this key as an SM2 key")

    def __del__(self) -> None:
        # Contexts hold their own reference to the key (EVP_PKEY_CTX_new_from_pkey up-refs it), so
        # the order in which the thread-local contexts and the key go does not matter.
        pkey, self._pkey = getattr(self, "_pkey", None), None
        lib = _library()
        if pkey and lib is not None:
            lib.EVP_PKEY_free(pkey)

    def _context(self, sign: bool) -> _Context:
        local = self._local
        context = getattr(local, "sign" if sign else "verify", None)
        if context is None:
            context = _Context(self._pkey, sign)
            setattr(local, "sign" if sign else "verify", context)
        return context

    def sign_digest(self, digest: bytes) -> bytes:
        """DER ``SEQUENCE{r, s}`` over the 32-byte ``digest`` (e = SM3(Z ‖ M)); fresh random k."""
        if not self.private:
            raise LibcryptoError("a public key cannot sign")
        if len(digest) != _DIGEST_SIZE:
            raise ValueError("an SM2-with-SM3 digest is 32 bytes")
        lib = _lib()
        out = ctypes.create_string_buffer(_MAX_SIGNATURE)
        length = ctypes.c_size_t(_MAX_SIGNATURE)
        if (
            lib.EVP_PKEY_sign(self._context(True).handle, out, ctypes.byref(length), digest, _DIGEST_SIZE)
            != 1
        ):
            lib.ERR_clear_error()
            raise LibcryptoError("EVP_PKEY_sign failed")
        return out.raw[: length.value]

    def verify_digest(self, digest: bytes, signature: bytes) -> bool:
        """True only if ``signature`` is a valid DER signature of this key over ``digest``."""
        if len(digest) != _DIGEST_SIZE:
            return False
        lib = _lib()
        result = lib.EVP_PKEY_verify(
            self._context(False).handle, signature, len(signature), digest, _DIGEST_SIZE
        )
        if result != 1:
            # 0 = a wrong signature, < 0 = malformed input: both leave errors on the queue.
            lib.ERR_clear_error()
            return False
        return True


# A fixed key for the self-test (never used to sign anything else): d = 0x01…20 on the SM2 curve.
_SELF_TEST_DIGEST = bytes(range(32))


def self_test(pkcs8: bytes, spki: bytes) -> bool:
    """Sign and verify one digest with the given key pair; False if libcrypto cannot do SM2."""
    if _library() is None:
        return False
    try:
        signature = Sm2Key(pkcs8, private=True).sign_digest(_SELF_TEST_DIGEST)
        public = Sm2Key(spki, private=False)
        return public.verify_digest(_SELF_TEST_DIGEST, signature) and not public.verify_digest(
            bytes(32), signature
        )
    except LibcryptoError:
        return False
