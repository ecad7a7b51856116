"""The upload gate: stream, sniff, check, and only then store.

One pass streams the upload in 64 KB chunks into a work file next to the final storage folder,
computing the SM3 digest, enforcing the size limit and sniffing the first bytes as they arrive
(a disallowed type is refused after the first chunk). Type-specific checks then read the work
file again in chunks. Only when every check passed is the file moved into place with
``os.replace``; any rejection deletes the work files, so a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from . import errors
from .errors import UploadRejected
from .images import ImageLimits, reencode
from .names import sanitize_display_name
from .ofd import ZipLimits, check_ofd
from .pdf import scan_pdf
from .sniff import HEAD_BYTES, LABELS, FileKind, check_extension, sniff
from .store import UploadStore, default_store
from .streaming import EICAR, WorkFile

logger = logging.getLogger("sifa.uploads")

CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    images: ImageLimits = field(default_factory=ImageLimits)
    zip: ZipLimits = field(default_factory=ZipLimits)
    max_pdf_decoded: int = 64 * 1024 * 1024
    """Total inflated size of a PDF's object streams (they hold dictionaries, not pages)."""

    @classmethod
    def default(cls, max_bytes: int | None = None) -> UploadLimits:
        return cls(max_bytes=max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES)


@dataclass(frozen=True)
class StoredUpload:
    key: str
    size: int
    sm3: str
    """SM3 (GB/T 32905) of the stored bytes — for images, of the re-encoded file."""
    kind: FileKind
    content_type: str
    display_name: str
    source_sm3: str
    """SM3 of the bytes as uploaded (equal to ``sm3`` for PDF and OFD)."""


@dataclass(frozen=True)
class UploadVerdict:
    accepted: bool
    code: str | None
    message: str
    detail: str = ""
    display_name: str | None = None
    kind: FileKind | None = None
    size: int | None = None
    sm3: str | None = None
    declared_content_type: str | None = None
    """Recorded for the logs only: the decision never trusts what the client declared."""
    stored: StoredUpload | None = None

    def raise_if_rejected(self) -> None:
        """Turn a rejection into the project's ``ServiceError`` (400, or 413 when too large)."""
        if not self.accepted:
            raise UploadRejected(self.code or errors.CORRUPT, self.detail, message=self.message)


@dataclass
class _Checked:
    path: Path
    kind: FileKind
    display_name: str
    size: int
    sm3: str
    source_sm3: str


def _rewind(fileobj: BinaryIO) -> None:
    # Django's UploadedFile.chunks() rewinds too: a view that peeked at the file still gets it all.
    with suppress(AttributeError, OSError, ValueError):
        if fileobj.seekable():
            fileobj.seek(0)


def _new_work_file(work_dir: Path) -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(dir=work_dir, prefix=".part-")
    return fd, Path(name)


def _spool(fileobj: BinaryIO, out: BinaryIO, limits: UploadLimits) -> tuple[int, str, FileKind]:
    digest = hashlib.new("sm3")
    size = 0
    head = b""
    kind: FileKind | None = None
    carry = b""
    _rewind(fileobj)
    while chunk := fileobj.read(CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise UploadRejected(
                errors.TOO_LARGE, f"more than {limits.max_bytes} bytes", max_bytes=limits.max_bytes
            )
        if kind is None:
            head += chunk[: HEAD_BYTES - len(head)]
            if len(head) >= HEAD_BYTES:
                kind = sniff(head)
        window = carry + chunk
        if EICAR in window:
            raise UploadRejected(errors.MALWARE, "EICAR test signature")
        carry = window[-len(EICAR) :]
        digest.update(chunk)
        out.write(chunk)
    if size == 0:
        raise UploadRejected(errors.EMPTY)
    if kind is None:
        kind = sniff(head)
    out.flush()
    return size, digest.hexdigest(), kind


def _streamed(fileobj: WorkFile, limits: UploadLimits) -> tuple[int, str, FileKind]:
    """What :func:`_spool` finds, for a file the upload handler already wrote to the work folder
    (hashed, its head kept, the signature looked for as it arrived), in the same order."""
    if fileobj.received > settings.UPLOAD_MAX_BYTES:
        # Not written past the server's limit: too large whatever a caller's own limit says.
        raise UploadRejected(
            errors.TOO_LARGE, f"more than {settings.UPLOAD_MAX_BYTES} bytes", max_bytes=limits.max_bytes
        )
    kind = sniff(fileobj.head) if len(fileobj.head) >= HEAD_BYTES else None
    if fileobj.malware:
        raise UploadRejected(errors.MALWARE, "EICAR test signature")
    if fileobj.received == 0:
        raise UploadRejected(errors.EMPTY)
    return fileobj.received, fileobj.sm3, kind or sniff(fileobj.head)


def _check_wanted(kind: FileKind, kinds: frozenset[FileKind] | None) -> None:
    """A kind the gate accepts may still not be one the material asks for (its 电子文件格式):
    refused here, before the type's own checks, rather than stored and flagged at pre-review."""
    if kinds and kind not in kinds:
        labels = "、".join(LABELS[k] for k in FileKind if k in kinds)
        raise UploadRejected(
            errors.FORMAT_NOT_WANTED,
            f"{kind} not in {sorted(str(k) for k in kinds)}",
            message=f"该材料仅接收 {labels} 格式的文件，所选文件是 {LABELS[kind]} 文件，请转换格式后重新上传。",
        )


def _name_wanted(exc: UploadRejected, kinds: frozenset[FileKind] | None) -> None:
    """A file of no kind the gate takes, for a material that takes fewer than the gate's four: the
    refusal names the material's own formats, not the gate's (an OFD offered to a PDF-only material
    would be refused next)."""
    if exc.code == errors.TYPE_NOT_ALLOWED and kinds:
        labels = "、".join(LABELS[k] for k in FileKind if k in kinds)
        raise UploadRejected(
            errors.TYPE_NOT_ALLOWED,
            exc.detail,
            message=f"该材料仅接收 {labels} 格式的文件，该文件的实际内容不属于这些类型，请转换格式后重新上传。",
        ) from None


def _check(
    fileobj: BinaryIO,
    filename: str,
    limits: UploadLimits,
    work_dir: Path,
    kinds: frozenset[FileKind] | None = None,
) -> _Checked:
    """Run every check; return the work file to store. Deletes its work files on rejection.

    A :class:`~sifa.applications.uploads.streaming.WorkFile` already in ``work_dir`` (the upload
    handler streamed the request body there) is checked in place: no second copy."""
    display_name = sanitize_display_name(filename)
    declared_size = getattr(fileobj, "size", None)
    streamed = isinstance(fileobj, WorkFile) and fileobj.work_dir == work_dir and not fileobj.claimed
    if streamed:
        fileobj.claimed = True  # this function now commits or deletes it
    if isinstance(declared_size, int) and declared_size > limits.max_bytes:
        if streamed:
            fileobj.claimed = False  # closing the request's files deletes it
        raise UploadRejected(errors.TOO_LARGE, f"{declared_size} bytes declared", max_bytes=limits.max_bytes)
    work: list[Path] = []
    try:
        if streamed:
            work.append(fileobj.path)
            path, spooled = fileobj.path, fileobj.file
        else:
            fd, path = _new_work_file(work_dir)
            work.append(path)
            spooled = os.fdopen(fd, "w+b")
        with spooled:
            try:
                if streamed:
                    size, source_sm3, kind = _streamed(fileobj, limits)
                else:
                    size, source_sm3, kind = _spool(fileobj, spooled, limits)
            except UploadRejected as exc:
                _name_wanted(exc, kinds)
                raise
            check_extension(display_name, kind)
            _check_wanted(kind, kinds)
            if kind is FileKind.PDF:
                scan_pdf(spooled, size, max_decoded=limits.max_pdf_decoded)
            elif kind is FileKind.OFD:
                check_ofd(spooled, size, limits.zip)
            else:
                fd, path = _new_work_file(work_dir)
                work.append(path)
                with os.fdopen(fd, "wb") as encoded:
                    stored_size, stored_sm3 = reencode(spooled, kind, encoded, limits.images)
                    os.fsync(encoded.fileno())
                work.pop(0).unlink()
                return _Checked(path, kind, display_name, stored_size, stored_sm3, source_sm3)
            os.fsync(spooled.fileno())
        return _Checked(path, kind, display_name, size, source_sm3, source_sm3)
    except BaseException:
        for leftover in work:
            with suppress(FileNotFoundError):
                leftover.unlink()
        raise


def _rejected(exc: UploadRejected, declared_content_type: str | None) -> UploadVerdict:
    # A security event (等保 入侵防范 f): code and technical detail only, never the file name,
    # which often carries a person's name.
    logger.warning("upload rejected: %s (%s)", exc.code, exc.detail)
    return UploadVerdict(
        accepted=False,
        code=exc.code,
        message=exc.message,
        detail=exc.detail,
        declared_content_type=declared_content_type,
    )


def _accepted(
    checked: _Checked, message: str, declared_content_type: str | None, stored: StoredUpload | None = None
) -> UploadVerdict:
    return UploadVerdict(
        accepted=True,
        code=None,
        message=message,
        display_name=checked.display_name,
        kind=checked.kind,
        size=checked.size,
        sm3=checked.sm3,
        declared_content_type=declared_content_type,
        stored=stored,
    )


def inspect_upload(
    fileobj: BinaryIO,
    filename: str,
    *,
    declared_content_type: str | None = None,
    max_bytes: int | None = None,
    limits: UploadLimits | None = None,
) -> UploadVerdict:
    """Check an upload without storing it. ``fileobj`` is any binary file object, e.g. a
    Django ``UploadedFile``; it is read in chunks, never whole."""
    limits = limits or UploadLimits.default(max_bytes)
    try:
        checked = _check(fileobj, filename, limits, Path(tempfile.gettempdir()))
    except UploadRejected as exc:
        return _rejected(exc, declared_content_type)
    checked.path.unlink()
    return _accepted(checked, "文件检查通过。", declared_content_type)


def store_upload(
    fileobj: BinaryIO,
    filename: str,
    *,
    declared_content_type: str | None = None,
    max_bytes: int | None = None,
    limits: UploadLimits | None = None,
    store: UploadStore | None = None,
    kinds: frozenset[FileKind] | None = None,
) -> UploadVerdict:
    """Check an upload and, if it passes, store it under a random key.

    ``kinds``: the kinds the material takes (``sniff.kinds_of`` of its 电子文件格式); another
    kind is refused with ``material.format``. None or empty: every kind the gate accepts.

    The verdict's ``stored`` holds the key, size, SM3 digest, sniffed type and display name to
    record on the material; a rejected verdict has a stable ``code`` and a Chinese ``message``,
    and nothing was written to the store.
    """
    limits = limits or UploadLimits.default(max_bytes)
    store = store or default_store()
    try:
        checked = _check(fileobj, filename, limits, store.temp_dir(), kinds)
    except UploadRejected as exc:
        return _rejected(exc, declared_content_type)
    try:
        key = store.commit(checked.path, checked.kind.stored_extension)
    except BaseException:
        with suppress(FileNotFoundError):
            checked.path.unlink()
        raise
    stored = StoredUpload(
        key=key,
        size=checked.size,
        sm3=checked.sm3,
        kind=checked.kind,
        content_type=checked.kind.content_type,
        display_name=checked.display_name,
        source_sm3=checked.source_sm3,
    )
    return _accepted(checked, "文件已上传。", declared_content_type, stored)
