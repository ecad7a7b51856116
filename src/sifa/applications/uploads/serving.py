"""Serving stored uploads: always as a download, never as something the browser renders."""

from __future__ import annotations

from urllib.parse import quote

from django.http import FileResponse

from .sniff import FileKind
from .store import UploadStore, default_store

_SERVABLE_TYPES = frozenset(kind.content_type for kind in FileKind)


def content_disposition(display_name: str) -> str:
    """``attachment`` with an ASCII fallback and the RFC 5987/6266 ``filename*`` for Chinese
    names; quotes, backslashes and control characters cannot reach the header."""
    fallback = "".join(char if 32 <= ord(char) < 127 and char not in '"\\' else "_" for char in display_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(display_name, safe='')}"


def attachment_response(
    store_key: str, display_name: str, content_type: str, *, store: UploadStore | None = None
) -> FileResponse:
    """A download of a stored upload. Callers check the requester's scope *before* calling
    this (ASVS 8.2.2): the store only knows keys, not who may read them."""
    fh = (store or default_store()).open(store_key)
    if content_type not in _SERVABLE_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(fh, content_type=content_type)
    response["Content-Disposition"] = content_disposition(display_name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering the file, it gets no scripts, no plugins,
    # no same-origin access and no outgoing requests.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
