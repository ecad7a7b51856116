"""Content sniffing: the allow-list is decided by the first bytes, never by the name or the
declared Content-Type (OWASP ASVS 5.2.2)."""

from __future__ import annotations

from enum import StrEnum

from .errors import EXTENSION_MISMATCH, POLYGLOT, TYPE_NOT_ALLOWED, UploadRejected
from .names import extensions

HEAD_BYTES = 1024
"""Acrobat accepts ``%PDF-`` anywhere in the first 1024 bytes, so that is how far we look."""


class FileKind(StrEnum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    OFD = "ofd"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @property
    def stored_extension(self) -> str:
        return _ALLOWED_EXTENSIONS[self][0]


_CONTENT_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.OFD: "application/ofd",
}
_ALLOWED_EXTENSIONS = {
    FileKind.PDF: ("pdf",),
    FileKind.JPEG: ("jpg", "jpeg", "jpe"),
    FileKind.PNG: ("png",),
    FileKind.OFD: ("ofd",),
}

_FORMAT_NAMES = {
    "pdf": FileKind.PDF,
    "jpg": FileKind.JPEG,
    "jpeg": FileKind.JPEG,
    "jpe": FileKind.JPEG,
    "png": FileKind.PNG,
    "ofd": FileKind.OFD,
}
LABELS = {FileKind.PDF: "PDF", FileKind.JPEG: "JPG", FileKind.PNG: "PNG", FileKind.OFD: "OFD"}


def kinds_of(file_format: str) -> frozenset[FileKind]:
    """The kinds a material's 电子文件格式 names (``pdf,jpg,png``: comma-separated, any case).
    Empty when it names none the gate knows: then the gate takes every kind it accepts."""
    names = (name.strip().lstrip(".").lower() for name in (file_format or "").replace("，", ",").split(","))
    return frozenset(_FORMAT_NAMES[name] for name in names if name in _FORMAT_NAMES)


def accept_attribute(kinds: frozenset[FileKind]) -> str:
    """The file input's ``accept`` for these kinds (every kind when empty): ``.pdf,.jpg,.jpeg,.png``."""
    wanted = kinds or frozenset(FileKind)
    return ",".join(
        f".{ext}" for kind in FileKind if kind in wanted for ext in _ALLOWED_EXTENSIONS[kind] if ext != "jpe"
    )


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"

# Suffixes that some server or desktop would execute or render as active content; a name like
# "scan.php.jpg" or "a.pdf.exe" is refused even though only the last suffix decides the type.
_DANGEROUS_SUFFIXES = frozenset(
    "php php3 php4 php5 php7 phtml phar pht asp aspx ashx jsp jspx cgi pl py rb sh bash "
    "exe com scr dll msi bat cmd ps1 vbs vbe js jse wsf wsh hta jar class lnk reg "
    "html htm xhtml shtml svg svgz xml xsl swf".split()
)

# Known headers, named in the rejection detail so the security-event stream says what it was.
_FOREIGN = (
    (b"MZ", "Windows executable (MZ)"),
    (b"\x7fELF", "ELF executable"),
    (b"\xca\xfe\xba\xbe", "Java class / Mach-O"),
    (b"#!", "script"),
    (b"GIF8", "GIF image"),
    (b"X5O!P%@AP", "EICAR test file"),
    (b"\xef\xbb\xbf", "text with a UTF-8 BOM"),
    (b"<", "markup (HTML/SVG/XML/PHP)"),
)


def sniff(head: bytes) -> FileKind:
    """Return the kind of file ``head`` (its first bytes) starts, or raise a rejection."""
    if head.startswith(PDF_MAGIC):
        return FileKind.PDF
    if PDF_MAGIC in head[:HEAD_BYTES]:
        # A PDF reader would open this as a PDF although it claims to be something else (a GIF,
        # a BOM-prefixed text, a ZIP...): the classic polyglot, refused whatever it starts with.
        raise UploadRejected(POLYGLOT, "%PDF- header after offset 0")
    if head.startswith(PNG_MAGIC):
        return FileKind.PNG
    if head.startswith(JPEG_MAGIC):
        return FileKind.JPEG
    if head.startswith(ZIP_MAGIC):
        return FileKind.OFD  # only a candidate: ofd.check_ofd requires OFD.xml at the root
    stripped = head.lstrip(b"\x00\t\n\r\f ")
    for magic, label in _FOREIGN:
        if stripped.startswith(magic):
            raise UploadRejected(TYPE_NOT_ALLOWED, label)
    raise UploadRejected(TYPE_NOT_ALLOWED, "unknown content")


def check_extension(display_name: str, kind: FileKind) -> None:
    """The outermost suffix must name the sniffed type; no inner suffix may be executable."""
    suffixes = extensions(display_name)
    if not suffixes or suffixes[-1] not in _ALLOWED_EXTENSIONS[kind]:
        raise UploadRejected(EXTENSION_MISMATCH, f"{suffixes[-1:]} for {kind}")
    dangerous = [suffix for suffix in suffixes[:-1] if suffix in _DANGEROUS_SUFFIXES]
    if dangerous:
        raise UploadRejected(EXTENSION_MISMATCH, f"inner suffix .{dangerous[0]}")
