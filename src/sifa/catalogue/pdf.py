"""The printable guide: WeasyPrint HTML → PDF with the Noto CJK fonts embedded (subset).

Rendering takes about a second, so each PDF is cached on disk under
``SIFA_VAR_DIR/cache/guides/``. The file name carries the implementation code, the version
number, the entry's ``updated_at`` and a digest of the public address the guide prints as its
网上办理地址 (``SIFA_PUBLIC_URL``: `PORT=8765 make run` after a run on :8000 renders afresh).
Publishing a new version moves every entry to it and touches ``updated_at`` (services.publish_version), so the next download renders afresh, and the stale file
of that entry is deleted then. Files are written to a temporary name and renamed, so concurrent
workers never serve half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from sifa.catalogue import guides
from sifa.catalogue.models import ImplementationEntry, ItemVersion
from sifa.core.crypto import sm3_hex

PRINT_CSS = Path(__file__).parent / "static" / "catalogue" / "guide-print.css"


def cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "cache" / "guides"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(entry: ImplementationEntry, version: ItemVersion) -> str:
    stamp = entry.updated_at.strftime("%Y%m%d%H%M%S%f")
    address = sm3_hex(settings.PUBLIC_URL.encode("utf-8"))[:8]
    return f"{entry.implementation_code}-v{version.number}-{stamp}-{address}.pdf"


def render(guide: dict) -> bytes:
    """The PDF bytes of a guide (no cache)."""
    from weasyprint import CSS, HTML  # imported lazily: loading WeasyPrint costs ~0.3 s per process

    html = render_to_string("catalogue/guide_pdf.html", {"guide": guide})
    return HTML(string=html, base_url=str(PRINT_CSS.parent)).write_pdf(
        stylesheets=[CSS(filename=str(PRINT_CSS))]
    )


def guide_pdf(entry: ImplementationEntry, version: ItemVersion) -> Path:
    """The cached PDF of an entry's guide, rendered on first request."""
    directory = cache_dir()
    path = directory / cache_key(entry, version)
    if path.exists():
        return path
    data = render(guides.build(entry, version))
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, path)
    for stale in directory.glob(f"{entry.implementation_code}-v*.pdf"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return path
