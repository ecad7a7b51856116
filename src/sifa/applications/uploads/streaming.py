"""Stream a multipart upload straight into the store's work folder: one copy, hashed as it arrives.

Django's default handlers spool a file larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary
file, and the gate then copied it into the store's work folder (2 MB written twice for a 2 MB
scan). :class:`WorkFileUploadHandler` writes each chunk of the request body into a work file in
``store.temp_dir()`` (the folder the gate checks and commits from, on the store's filesystem) and,
in the same pass, computes the SM3 digest, keeps the first bytes for the type sniff, looks for the
EICAR test signature across chunk borders and stops writing past the size limit. The gate
(:func:`~sifa.applications.uploads.gate.store_upload`) then checks that work file in place — the
type sniff, the format checks, the ``fsync`` — and moves it into place, or deletes it.

Nothing is decided here: what the handler saw (too large, the signature) is reported to the gate,
which rejects with the same codes as for any other file object. A work file the gate never took
(a request refused before the gate) is deleted when Django closes the request's files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from .sniff import HEAD_BYTES
from .store import UploadStore, default_store

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
_BORDER = len(EICAR) - 1
"""A signature across a chunk border has at most this many bytes on either side of it."""


class WorkFile(UploadedFile):
    """An uploaded file already written to the store's work folder, with its SM3 digest."""

    def __init__(self, path: Path, file: Any, name: str, content_type: str, charset: str | None) -> None:
        super().__init__(file, name, content_type, 0, charset)
        self.path = path
        self.work_dir = path.parent
        self.received = 0
        """Bytes received (all of them, also past the limit, which are not written)."""
        self.head = b""
        self.malware = False
        self.claimed = False
        """Set by the gate when it takes the work file over (to commit it, or to delete it)."""
        self._digest = hashlib.new("sm3")
        self._carry = b""
        self._limit = settings.UPLOAD_MAX_BYTES

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self._limit:
            return  # refused as too large by the gate; nothing more is written
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        # The signature inside this chunk, or across its start (the stream's last bytes before it
        # and its first ones): the chunk itself is not copied.
        if EICAR in chunk or EICAR in self._carry + chunk[:_BORDER]:
            self.malware = True
        self._carry = chunk[-_BORDER:] if len(chunk) >= _BORDER else (self._carry + chunk)[-_BORDER:]
        self._digest.update(chunk)
        self.file.write(chunk)

    def finish(self) -> None:
        self.file.flush()
        self.file.seek(0)
        self.size = self.received

    @property
    def sm3(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        with suppress(OSError, ValueError):
            self.file.close()
        if not self.claimed:
            with suppress(FileNotFoundError):
                self.path.unlink()


class WorkFileUploadHandler(FileUploadHandler):
    """Every file of the request goes to a :class:`WorkFile` in ``store.temp_dir()``."""

    chunk_size = 64 * 1024

    def __init__(self, request: Any = None, store: UploadStore | None = None) -> None:
        super().__init__(request)
        self.store = store
        self.work: WorkFile | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        work_dir = (self.store or default_store()).temp_dir()
        fd, name = tempfile.mkstemp(dir=work_dir, prefix=".part-")
        self.work = WorkFile(
            Path(name), os.fdopen(fd, "w+b"), self.file_name, self.content_type, self.charset
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.work.feed(raw_data)
        return None

    def file_complete(self, file_size: int) -> WorkFile:
        work, self.work = self.work, None
        work.finish()
        return work

    def upload_interrupted(self) -> None:
        if self.work is not None:
            self.work.close()
            self.work = None
