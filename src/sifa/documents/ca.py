"""The platform CA and the per-organisation seal certificates, kept as files — never in the database.

A seal directory (``SIFA_SEAL_KEY_DIR``; development: ``SIFA_VAR_DIR/keys/ca``) holds::

    ca.pem                         the platform CA certificate (public; `sifa documents ca-cert`)
    ca.key.pem                     its private key, PKCS#8, mode 0600 (may be absent in production)
    seals/<USCC>/<serial>.pem      a seal certificate issued to the organisation with that USCC
    seals/<USCC>/<serial>.key.pem  its private key, mode 0600

RSA-2048 with SHA-256 throughout: poppler's ``pdfsig`` (NSS) and every PDF reader verify it, which
SM2 certificates are not (GB/T 38540 seals have no reader support here). The SM2 side of a sealed
document is the detached signature made in :mod:`sifa.documents.sealing`.

Seal certificates are issued lazily the first time an organisation seals, and again when the
current one is about to expire or the organisation's name changed (rotation). Older
certificates stay in the folder; PDFs sealed with them keep validating against the CA.
Development creates the CA on first use; production never invents one: without ``ca.pem`` the
server answers ``documents.seal_not_configured`` (503), and without ``ca.key.pem`` it can only use
seal certificates an operator issued beforehand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from sifa.core.errors import ServiceError

logger = logging.getLogger("sifa.documents")

CA_COMMON_NAME = "Sifa 司法行政电子印章根证书 Platform Seal CA"
ORGANISATION = "Sifa"
CA_VALIDITY = dt.timedelta(days=20 * 365)
SEAL_VALIDITY = dt.timedelta(days=3 * 365)
RENEW_BEFORE = dt.timedelta(days=30)
"""A seal certificate this close to its end is replaced, so no document is sealed at the edge."""
RSA_BITS = 2048
DEVELOPMENT_BACKDATE = dt.timedelta(days=400)
"""The CA development creates on first use is valid from this long before it was made, so the demo
history (cases of last month, ``sifa.demo.history``) can be sealed under its own dates; a production
CA is an operator's, never invented here."""


class SealConfigurationError(ServiceError):
    """The seal directory is missing or unusable: the operator must act (503)."""

    status = 503


@dataclass(frozen=True)
class SealCredentials:
    """A seal certificate and its key. ``repr`` never shows the key; pickling is refused."""

    certificate: x509.Certificate
    _private_key: rsa.RSAPrivateKey
    ca_certificate: x509.Certificate

    def __repr__(self) -> str:
        return f"<SealCredentials serial={self.serial_hex} subject={self.certificate.subject.rfc4514_string()!r}>"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("seal credentials hold a private key and cannot be pickled")

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "x")

    @property
    def signature_size(self) -> int:
        return self._private_key.key_size // 8

    def sign_pkcs1v15(self, data: bytes, hash_name: str) -> bytes:
        """RSASSA-PKCS1-v1_5 over ``data`` (the key stays inside this object)."""
        algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[
            hash_name
        ]
        return self._private_key.sign(data, padding.PKCS1v15(), algorithm)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_private(path: Path, data: bytes) -> None:
    """Write a key file created with mode 0600 (never world-readable, not even for a moment)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def _write_public(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        # Name the file, never its content.
        raise SealConfigurationError("documents.bad_key_file", f"无法读取印章私钥文件 {path.name}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SealConfigurationError("documents.bad_key_file", f"印章私钥文件 {path.name} 不是 RSA 私钥")
    if path.stat().st_mode & 0o077:
        logger.warning("seal key file %s is readable by group or others", path.name)
    return key


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        raise SealConfigurationError("documents.bad_certificate", f"无法读取证书文件 {path.name}") from None


def certificate_uscc(certificate: x509.Certificate) -> str:
    """The USCC in the subject's serialNumber attribute (X.520 2.5.4.5), or ''."""
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else ""


def certificate_name(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


class SealAuthority:
    """The CA and seal certificates in one directory. Thread- and process-safe issuance."""

    def __init__(self, directory: Path, *, generate: bool = False) -> None:
        self.directory = Path(directory)
        self.generate = generate
        self._lock = threading.Lock()
        # Loading an RSA key validates it (~0.1 s), so the current seal of each organisation is
        # kept in memory; it is re-checked against the clock and the name on every use.
        self._cache: dict[str, SealCredentials] = {}

    def __repr__(self) -> str:
        return f"<SealAuthority {self.directory}>"

    # --- files and locking ------------------------------------------------------------------

    @property
    def ca_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_path(self) -> Path:
        return self.directory / "ca.key.pem"

    def _seal_dir(self, uscc: str) -> Path:
        if not uscc.isalnum() or len(uscc) != 18:
            raise ServiceError("documents.bad_uscc", f"统一社会信用代码格式不正确：{uscc[:40]}")
        return self.directory / "seals" / uscc.upper()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One issuer at a time, across threads (the lock) and processes (flock)."""
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open(self.directory / ".lock", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    # --- the CA -----------------------------------------------------------------------------

    def ca_certificate(self) -> x509.Certificate:
        """The CA certificate; development creates the CA on first use."""
        if not self.ca_path.exists():
            if not self.generate:
                raise SealConfigurationError(
                    "documents.seal_not_configured",
                    "电子印章未配置：SIFA_SEAL_KEY_DIR 中缺少平台根证书 ca.pem",
                )
            with self._exclusive():
                if not self.ca_path.exists():
                    self._create_ca()
        return _load_cert(self.ca_path)

    def ca_certificate_pem(self) -> str:
        return self.ca_certificate().public_bytes(serialization.Encoding.PEM).decode("ascii")

    def _create_ca(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            ]
        )
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - DEVELOPMENT_BACKDATE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.ca_key_path, _key_pem(key))
        _write_public(self.ca_path, certificate.public_bytes(serialization.Encoding.PEM))
        logger.info("created platform seal CA serial=%x in %s", certificate.serial_number, self.directory)

    # --- seal certificates ------------------------------------------------------------------

    def seal_certificates(self, uscc: str) -> list[x509.Certificate]:
        """Every seal certificate issued to ``uscc``, newest first (public data only)."""
        folder = self._seal_dir(uscc)
        # Certificates carry whole seconds: two issued in the same second are told apart by the
        # time their files were written, so "newest" is the one issued last.
        found = [
            (_load_cert(path), path.stat().st_mtime_ns)
            for path in folder.glob("*.pem")
            if not path.name.endswith(".key.pem")
        ]
        found.sort(key=lambda pair: (pair[0].not_valid_before_utc, pair[1]), reverse=True)
        return [certificate for certificate, _ in found]

    def credentials(self, uscc: str, name: str) -> SealCredentials:
        """The organisation's current seal certificate and key, issuing one when needed.

        Needed means: none yet, the newest expires within 30 days, or its CN is no longer the
        organisation's name (a renamed organisation gets a seal with its new name).
        """
        uscc = uscc.upper()
        cached = self._cache.get(uscc)
        if cached is not None and self._usable(cached.certificate, name, cached.ca_certificate):
            return cached
        ca = self.ca_certificate()
        current = self._current(uscc, name, ca)
        if current is None:
            with self._exclusive():
                # Another thread or process may have issued one while we waited for the lock.
                current = self._current(uscc, name, ca) or self._issue(uscc, name, ca)
        self._cache[uscc] = current
        return current

    def rotate(self, uscc: str, name: str) -> SealCredentials:
        """Issue a new seal certificate now; the older ones stay for reference."""
        ca = self.ca_certificate()
        with self._exclusive():
            credentials = self._issue(uscc.upper(), name, ca)
        self._cache[uscc.upper()] = credentials
        return credentials

    @staticmethod
    def _usable(certificate: x509.Certificate, name: str, ca: x509.Certificate) -> bool:
        now = _now()
        return (
            certificate_name(certificate) == name[:64]
            and certificate.issuer == ca.subject
            and certificate.not_valid_before_utc <= now
            and certificate.not_valid_after_utc > now + RENEW_BEFORE
        )

    def _current(self, uscc: str, name: str, ca: x509.Certificate) -> SealCredentials | None:
        for certificate in self.seal_certificates(uscc):
            if not self._usable(certificate, name, ca):
                continue
            key_path = self._seal_dir(uscc) / f"{format(certificate.serial_number, 'x')}.key.pem"
            if not key_path.exists():
                continue
            return SealCredentials(certificate, _load_key(key_path), ca)
        return None

    def _issue(self, uscc: str, name: str, ca: x509.Certificate) -> SealCredentials:
        if not self.ca_key_path.exists():
            raise SealConfigurationError(
                "documents.ca_key_missing",
                "没有可用的印章证书，且 SIFA_SEAL_KEY_DIR 中没有根证书私钥，无法签发新的印章证书",
            )
        ca_key = _load_key(self.ca_key_path)
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        now = _now()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc.upper()),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + SEAL_VALIDITY, ca.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,  # nonRepudiation
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        folder = self._seal_dir(uscc)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        serial = format(certificate.serial_number, "x")
        # The key first: a certificate on disk always has its key beside it.
        _write_private(folder / f"{serial}.key.pem", _key_pem(key))
        _write_public(folder / f"{serial}.pem", certificate.public_bytes(serialization.Encoding.PEM))
        logger.info("issued seal certificate serial=%s for uscc=%s", serial, uscc)
        return SealCredentials(certificate, key, ca)


def _default_directory() -> tuple[Path, bool]:
    from django.conf import settings

    configured = settings.SEAL_KEY_DIR
    if configured:
        return Path(configured), False
    if settings.DEBUG or settings.TESTING:
        return Path(settings.VAR_DIR) / "keys" / "ca", True
    raise SealConfigurationError(
        "documents.seal_not_configured", "生产环境必须设置 SIFA_SEAL_KEY_DIR（平台根证书与印章证书目录）"
    )


@lru_cache(maxsize=1)
def default_authority() -> SealAuthority:
    """The process-wide seal authority (``SIFA_SEAL_KEY_DIR``, or ``SIFA_VAR_DIR/keys/ca`` in development)."""
    directory, generate = _default_directory()
    return SealAuthority(directory, generate=generate)
