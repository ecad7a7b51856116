"""OFD (GB/T 33190-2016) screen: a ZIP package whose root holds ``OFD.xml``.

The archive is never extracted to disk. Its central directory is checked first (member count,
declared sizes and ratios, names, symlinks, encryption — OWASP ASVS 5.2.3, 5.2.5, 5.3.3), then
every member is inflated in 64 KB pieces against a hard total budget, because the sizes in the
directory are written by the sender and may lie.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from .errors import COMPRESSION_BOMB, CORRUPT, OFD_UNSAFE, POLYGLOT, TYPE_NOT_ALLOWED, UploadRejected
from .sniff import HEAD_BYTES, PDF_MAGIC

CHUNK = 64 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 2000
    max_total_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 100
    """Per member, above 1 MB: text and images in real OFD files compress far less than 100:1."""


# Executables, nested archives and documents of other types have no place inside an OFD.
_FORBIDDEN_MEMBER_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"#!",
    b"PK\x03\x04",
    PDF_MAGIC,
)
_XML_DANGER = re.compile(rb"(?i:<!DOCTYPE|<!ENTITY|<\?php|<script|<html|<iframe)")
_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_member_name(name: str) -> None:
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or _DRIVE.match(name)
        or any(part in ("..", ".") for part in parts)
        or any(ord(char) < 32 or char == "\x7f" for char in name)
    ):
        raise UploadRejected(OFD_UNSAFE, f"member path {name!r}")
    # GB/T 33190 §7.8 attachments are whole files of any type riding inside the document.
    if any(part.lower() in ("attachs", "attachments.xml") for part in parts):
        raise UploadRejected(OFD_UNSAFE, f"attachment {name!r}")


def _check_directory(archive: zipfile.ZipFile, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise UploadRejected(COMPRESSION_BOMB, f"{len(members)} members")
    seen: set[str] = set()
    declared_total = 0
    for info in members:
        _check_member_name(info.filename)
        if info.filename in seen:
            raise UploadRejected(OFD_UNSAFE, f"duplicate member {info.filename!r}")
        seen.add(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRejected(OFD_UNSAFE, f"symlink {info.filename!r}")
        if info.flag_bits & 0x1:
            raise UploadRejected(OFD_UNSAFE, f"encrypted member {info.filename!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRejected(OFD_UNSAFE, f"compression method {info.compress_type}")
        declared_total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UploadRejected(COMPRESSION_BOMB, f"ratio of {info.filename!r}")
    if declared_total > limits.max_total_uncompressed:
        raise UploadRejected(COMPRESSION_BOMB, f"{declared_total} bytes declared")
    if "OFD.xml" not in seen:
        raise UploadRejected(TYPE_NOT_ALLOWED, "ZIP without OFD.xml at the root")
    return members


def _check_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    budget = limits.max_total_uncompressed
    for info in members:
        if info.is_dir():
            continue
        carry = b""
        first = True
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise UploadRejected(COMPRESSION_BOMB, "inflated past the budget")
                if first and chunk.startswith(_FORBIDDEN_MEMBER_MAGIC):
                    raise UploadRejected(OFD_UNSAFE, f"foreign file {info.filename!r}")
                first = False
                # DOCTYPE/ENTITY: XXE and entity-expansion bombs in the XML parts; markup: a
                # page some viewer might render.
                window = carry + chunk
                match = _XML_DANGER.search(window)
                if match:
                    raise UploadRejected(OFD_UNSAFE, f"{match.group(0)!r} in {info.filename!r}")
                carry = window[-16:]


def _check_envelope(fh: BinaryIO, size: int) -> None:
    """Nothing may precede the first member or follow the end record: data there is how a ZIP
    doubles as a PDF, a GIF or a script."""
    fh.seek(0)
    if PDF_MAGIC in fh.read(HEAD_BYTES):
        raise UploadRejected(POLYGLOT, "%PDF- header inside the first 1024 bytes")
    fh.seek(max(size - 65536 - _EOCD_SIZE, 0))
    tail = fh.read()
    end = tail.rfind(_EOCD)
    if end < 0 or len(tail) < end + _EOCD_SIZE:
        raise UploadRejected(CORRUPT, "no ZIP end record")
    comment_length = int.from_bytes(tail[end + 20 : end + 22], "little")
    if comment_length or end + _EOCD_SIZE != len(tail):
        raise UploadRejected(POLYGLOT, "data after the ZIP end record")


def check_ofd(fh: BinaryIO, size: int, limits: ZipLimits | None = None) -> None:
    """Raise ``UploadRejected`` unless ``fh`` is a well-formed, self-contained OFD package."""
    limits = limits or ZipLimits()
    _check_envelope(fh, size)
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            members = _check_directory(archive, limits)
            if members and min(info.header_offset for info in members) != 0:
                raise UploadRejected(POLYGLOT, "data before the first ZIP member")
            _check_members(archive, members, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise UploadRejected(CORRUPT, f"zip: {exc}") from exc
