"""Safe uploads for application materials (issue 4 item 2; docs/uploads.md).

Call :func:`store_upload` from a service with the request's ``UploadedFile`` and record the
returned :class:`StoredUpload` on the material; serve it later, after the scope check, with
:func:`attachment_response`.
"""

from .errors import MESSAGES, UploadRejected
from .gate import (
    StoredUpload,
    UploadLimits,
    UploadVerdict,
    inspect_upload,
    store_upload,
)
from .images import ImageLimits
from .names import sanitize_display_name
from .ofd import ZipLimits
from .serving import attachment_response, content_disposition
from .sniff import FileKind
from .store import FileSystemUploadStore, UploadStore, default_store

__all__ = [
    "MESSAGES",
    "FileKind",
    "FileSystemUploadStore",
    "ImageLimits",
    "StoredUpload",
    "UploadLimits",
    "UploadRejected",
    "UploadStore",
    "UploadVerdict",
    "ZipLimits",
    "attachment_response",
    "content_disposition",
    "default_store",
    "inspect_upload",
    "sanitize_display_name",
    "store_upload",
]
