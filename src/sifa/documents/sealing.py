"""Electronic seals: a PAdES signature with a visible stamp, plus a detached SM2 signature.

What is signed how (docs/documents.md):

1. **PAdES B-B** (ETSI EN 319 142-1; ``/SubFilter /ETSI.CAdES.detached``, SHA-256, RSA-2048)
   by the issuing organisation's seal certificate from the platform CA (``sifa.documents.ca``).
   It covers the whole file except the signature value and validates in pyHanko and in poppler's
   ``pdfsig`` once the CA is trusted. The red round stamp is the signature field's appearance.
2. **SM2-with-SM3** (GB/T 32918.2, distinguishing id 1234567812345678) by the platform signing
   key (``sifa.core.signing.default_keyring()``) over the 32-byte SM3 digest (GB/T 32905) of the
   final sealed PDF. PDF readers know no SM2 seal format (GB/T 38540 has no reader support
   here), so this signature is stored beside the file with its key id, and checked with
   :func:`verify_sealed_pdf` or ``openssl pkeyutl`` (docs/documents.md).

pyHanko runs its own event loop (``asyncio.run``) for signing and validation: call these from
synchronous code (views, services, tasks), not from inside a running event loop.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from sifa.core.crypto import sm3
from sifa.core.errors import ServiceError
from sifa.core.signing import KeyRing, SigningError, default_keyring
from sifa.documents.ca import SealAuthority, SealCredentials, default_authority
from sifa.documents.stamp import seal_image

logger = logging.getLogger("sifa.documents")

MM = 72 / 25.4
SEAL_DIAMETER = 40 * MM
"""A 40 mm seal, the usual size of an organisation's 公章."""
SEAL_CENTRE_BELOW_ANCHOR = 12 * MM
SEAL_ANCHOR = "seal"
"""The element id (a PDF named destination) that ``documents/base.html`` puts where the seal goes."""
MAX_PDF_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SealedPdf:
    """A sealed PDF and its detached SM2 signature (DER) over ``sm3_hex``."""

    pdf: bytes
    sm3_hex: str
    sm2_signature_der: bytes
    sm2_key_id: str
    certificate_serial: str = ""

    def __repr__(self) -> str:
        return f"<SealedPdf {len(self.pdf)} bytes sm3={self.sm3_hex[:16]}… key_id={self.sm2_key_id}>"


@dataclass
class VerificationResult:
    """Both checks of a sealed PDF. ``valid`` only when every part holds."""

    sm3_hex: str = ""
    pades_present: bool = False
    pades_intact: bool = False
    pades_valid: bool = False
    pades_trusted: bool = False
    pades_covers_file: bool = False
    signer_name: str = ""
    signer_uscc: str = ""
    certificate_serial: str = ""
    signed_at: dt.datetime | None = None
    sm2_valid: bool = False
    sm2_key_id: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def pades_ok(self) -> bool:
        return (
            self.pades_present
            and self.pades_intact
            and self.pades_valid
            and self.pades_trusted
            and self.pades_covers_file
        )

    @property
    def valid(self) -> bool:
        return self.pades_ok and self.sm2_valid

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "sm3": self.sm3_hex,
            "pades": {
                "present": self.pades_present,
                "intact": self.pades_intact,
                "valid": self.pades_valid,
                "trusted": self.pades_trusted,
                "covers_whole_file": self.pades_covers_file,
                "signer_name": self.signer_name,
                "signer_uscc": self.signer_uscc,
                "certificate_serial": self.certificate_serial,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            },
            "sm2": {"valid": self.sm2_valid, "key_id": self.sm2_key_id},
            "errors": list(self.errors),
        }

    def _fail(self, code: str, message: str) -> None:
        self.errors.append({"code": code, "message": message})


# --- sealing -----------------------------------------------------------------------------------


class _SealSigner(signers.Signer):
    """pyHanko's signer over :class:`SealCredentials`: the RSA key never leaves that object and
    is not re-parsed (and re-validated) for every signature, as ``SimpleSigner`` would."""

    def __init__(self, credentials: SealCredentials) -> None:
        der = serialization.Encoding.DER
        ca = asn1_x509.Certificate.load(credentials.ca_certificate.public_bytes(der))
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(credentials.certificate.public_bytes(der)),
            cert_registry=SimpleCertificateStore.from_certs([ca]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
        self._credentials = credentials

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._credentials.signature_size)
        return self._credentials.sign_pkcs1v15(data, digest_algorithm)


def _page_index(reader: PdfFileReader, page_ref: Any) -> int | None:
    idnum = getattr(page_ref, "idnum", None)
    for index in range(_page_count(reader)):
        ref, _resources = reader.find_page_for_modification(index)
        if ref.idnum == idnum:
            return index
    return None


def _page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _named_destination(reader: PdfFileReader, name: str) -> tuple[Any, float, float] | None:
    """(page reference, x, y) of a named destination in a flat ``/Names /Dests`` tree (WeasyPrint's)."""
    try:
        names = reader.root["/Names"]["/Dests"]["/Names"]
    except (KeyError, TypeError):
        return None
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) != name:
            continue
        destination = names[index + 1]
        if isinstance(destination, generic.DictionaryObject):
            destination = destination.get("/D")
        if (
            isinstance(destination, generic.ArrayObject)
            and len(destination) >= 4
            and destination[1] == "/XYZ"
        ):
            return destination.raw_get(0), float(destination[2]), float(destination[3])
    return None


def _placement(reader: PdfFileReader) -> tuple[int, tuple[int, int, int, int]]:
    """The page and box of the stamp: centred on the template's seal anchor, else bottom right
    of the last page. The box is kept inside the page."""
    count = _page_count(reader)
    page_index, centre_x, centre_y = count - 1, None, None
    found = _named_destination(reader, SEAL_ANCHOR)
    if found is not None:
        page_ref, x, y = found
        index = _page_index(reader, page_ref)
        if index is not None:
            # The anchor is the top-left corner of the signature block (62 mm wide).
            page_index, centre_x, centre_y = index, x + 31 * MM, y - SEAL_CENTRE_BELOW_ANCHOR
    page_ref, _resources = reader.find_page_for_modification(page_index)
    x0, y0, x1, y1 = (float(v) for v in page_ref.get_object()["/MediaBox"])
    if centre_x is None or centre_y is None:
        centre_x, centre_y = x1 - 30 * MM - SEAL_DIAMETER / 2, y0 + 30 * MM + SEAL_DIAMETER / 2
    half = SEAL_DIAMETER / 2
    centre_x = min(max(centre_x, x0 + half), x1 - half)
    centre_y = min(max(centre_y, y0 + half), y1 - half)
    box = (round(centre_x - half), round(centre_y - half), round(centre_x + half), round(centre_y + half))
    return page_index, box


def _stamp_style(name: str) -> StaticStampStyle:
    return StaticStampStyle(
        background=PdfImage(seal_image(name)),
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


def seal_pdf(
    pdf_bytes: bytes,
    organisation: Any,
    *,
    reason: str,
    location: str,
    field_name: str = "Seal",
    authority: SealAuthority | None = None,
    keyring: KeyRing | None = None,
) -> SealedPdf:
    """Seal ``pdf_bytes`` for ``organisation`` (needs ``name`` and ``uscc``); see the module doc.

    Raises ``documents.no_uscc`` when the organisation has no USCC (its seal certificate is keyed
    by it), ``documents.bad_pdf`` for bytes that are not a readable PDF.
    """
    uscc = (getattr(organisation, "uscc", "") or "").strip().upper()
    name = (getattr(organisation, "name", "") or "").strip()
    if not uscc or not name:
        raise ServiceError("documents.no_uscc", "该机构没有统一社会信用代码或名称，无法加盖电子印章")
    if (
        not isinstance(pdf_bytes, bytes)
        or not pdf_bytes.startswith(b"%PDF-")
        or len(pdf_bytes) > MAX_PDF_BYTES
    ):
        raise ServiceError("documents.bad_pdf", "待盖章的文件不是有效的 PDF 文件（或超过 50 MB）")
    credentials = (authority or default_authority()).credentials(uscc, name)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        page_index, box = _placement(writer.prev)
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=reason,
            location=location,
            name=name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        pdf_signer = signers.PdfSigner(
            metadata,
            signer=_SealSigner(credentials),
            stamp_style=_stamp_style(name),
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page_index, box=box),
        )
        output = pdf_signer.sign_pdf(writer, output=io.BytesIO())
    except (PdfError, PyHankoSigningError, KeyError, ValueError, TypeError) as error:
        logger.warning("sealing failed: %s", type(error).__name__)
        raise ServiceError(
            "documents.bad_pdf", "无法在该 PDF 文件上加盖电子印章（文件结构无效或签名域已存在）"
        ) from None
    sealed = output.getvalue()
    digest = sm3(sealed)
    key_id, signature = (keyring or default_keyring()).sign(digest)
    return SealedPdf(
        pdf=sealed,
        sm3_hex=digest.hex(),
        sm2_signature_der=signature,
        sm2_key_id=key_id,
        certificate_serial=credentials.serial_hex,
    )


# --- verifying -------------------------------------------------------------------------------


def _check_sm2(
    result: VerificationResult, digest: bytes, signature: bytes, key_id: str, keyring: KeyRing
) -> None:
    result.sm2_key_id = str(key_id)[:80]
    try:
        result.sm2_valid = keyring.verify(str(key_id), digest, signature)
    except SigningError as error:
        result._fail(error.code, error.message)
        return
    if not result.sm2_valid:
        result._fail(
            "documents.sm2_invalid", "SM2 签名与文件的 SM3 摘要不符（文件已被改动或签名不属于该文件）"
        )


def _check_pades(result: VerificationResult, pdf_bytes: bytes, authority: SealAuthority) -> None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # any parser failure on untrusted bytes means "not a sealed PDF"
        result._fail("documents.bad_pdf", "文件不是可读取的 PDF 文件")
        return
    if not embedded:
        result._fail("documents.no_seal", "文件中没有电子印章（PAdES 签名）")
        return
    ca = asn1_x509.Certificate.load(authority.ca_certificate().public_bytes(serialization.Encoding.DER))
    result.pades_present = True
    checks = {"intact": True, "valid": True, "trusted": True, "covers": True}
    for signature in embedded:
        context = ValidationContext(trust_roots=[ca], allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(signature, context)
        except Exception:  # a mangled CMS blob must read as "invalid", never a 500
            result._fail("documents.seal_unreadable", "电子印章的签名数据无法解析")
            checks = dict.fromkeys(checks, False)
            continue
        checks["intact"] &= bool(status.intact)
        checks["valid"] &= bool(status.valid)
        checks["trusted"] &= bool(status.trusted)
        checks["covers"] &= status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        certificate = status.signing_cert
        if certificate is not None and not result.signer_name:
            subject = certificate.subject.native
            result.signer_name = str(subject.get("common_name", ""))
            result.signer_uscc = str(subject.get("serial_number", ""))
            result.certificate_serial = format(certificate.serial_number, "x")
            result.signed_at = status.signer_reported_dt
    result.pades_intact, result.pades_valid = checks["intact"], checks["valid"]
    result.pades_trusted, result.pades_covers_file = checks["trusted"], checks["covers"]
    if not checks["intact"] or not checks["valid"]:
        result._fail("documents.seal_invalid", "电子印章校验失败：文件在盖章后被改动")
    elif not checks["trusted"]:
        result._fail("documents.seal_untrusted", "电子印章的证书不是由平台根证书签发的")
    elif not checks["covers"]:
        result._fail("documents.seal_partial", "盖章后文件又被追加了内容，印章不覆盖整个文件")


def verify_sealed_pdf(
    pdf_bytes: bytes,
    sm2_signature: bytes,
    key_id: str,
    *,
    authority: SealAuthority | None = None,
    keyring: KeyRing | None = None,
) -> VerificationResult:
    """Check the PAdES seal (intact, valid, trusted by the platform CA, covering the whole file)
    and the detached SM2 signature over the file's SM3 digest. Never raises on bad input."""
    result = VerificationResult()
    if not isinstance(pdf_bytes, bytes | bytearray | memoryview):
        result._fail("documents.bad_pdf", "文件不是可读取的 PDF 文件")
        return result
    pdf_bytes = bytes(pdf_bytes)
    digest = sm3(pdf_bytes)
    result.sm3_hex = digest.hex()
    _check_sm2(result, digest, bytes(sm2_signature or b""), key_id, keyring or default_keyring())
    _check_pades(result, pdf_bytes, authority or default_authority())
    return result
