"""The licence's PDF rendition, rendered and sealed by ``sifa.documents``.

The signed JSON is the licence; the PDF is its printable 版式文件 (GB/T 36905 asks for a layout
file). ``sifa.documents`` renders it (WeasyPrint, Noto CJK), seals it for the issuing organisation
(PAdES + visible stamp) and signs its SM3 digest with SM2. The commands store it in the issuing
transaction (``with_pdf=False`` issues without one, e.g. a bulk import; the signed JSON is the
licence either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse

from sifa.documents.rendering import render_pdf
from sifa.documents.sealing import seal_pdf
from sifa.licences.models import Licence
from sifa.licences.payload import keyring, public_holder_name

TEMPLATE = "licences/licence.html"


@dataclass(frozen=True)
class StoredPdf:
    storage_key: str
    sm3_hex: str
    signature: bytes
    key_id: str


def verify_url(identifier: str) -> str:
    """The public page a QR code on the licence points to."""
    return f"{settings.PUBLIC_URL}/verify/{identifier}"


def context(licence: Licence) -> dict[str, Any]:
    return {
        "licence": licence,
        "holder_display": licence.holder_name,
        "public_holder": public_holder_name(licence),
        "verify_url": verify_url(licence.identifier),
        "organisation_name": licence.issuer_name,
        "title": licence.name,
    }


def render_and_seal(licence: Licence) -> StoredPdf:
    """Render, seal and store the PDF (a file in the default storage, keyed by licence)."""
    pdf = render_pdf(TEMPLATE, context(licence))
    sealed = seal_pdf(
        pdf,
        licence.issuer,
        reason=f"签发电子证照：{licence.name}",
        location=licence.issuer_name,
        keyring=keyring(),
    )
    key = f"licences/{licence.issue_date.year}/{licence.issuer_id}/{licence.id}.pdf"
    stored_key = default_storage.save(key, ContentFile(sealed.pdf))
    return StoredPdf(stored_key, sealed.sm3_hex, sealed.sm2_signature_der, sealed.sm2_key_id)


def read_pdf(licence: Licence) -> bytes:
    with default_storage.open(licence.pdf_storage_key, "rb") as handle:
        return handle.read()


def pdf_response(licence: Licence) -> HttpResponse:
    """The sealed PDF as an attachment, with its SM3 digest and signing key id in headers (for
    whoever was found allowed to download it: the holder, authorised staff, the delivering window)."""
    response = HttpResponse(read_pdf(licence), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="licence-{licence.number}-{licence.version:03d}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SM3"] = licence.pdf_sm3
    response["X-Content-SM2-Key-Id"] = licence.pdf_key_id
    return response
