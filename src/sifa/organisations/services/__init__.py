"""Organisation commands — the only write path for regions, the organisation tree and 机关代字.

Split by resource: ``tree`` (``sifa import-regions`` and ``sifa build-organisations``: idempotent
bulk loads) and ``document_codes`` (deriving and setting the 机关代字 of an organisation). Reads
go through :mod:`sifa.organisations.selectors` and the data scope (:mod:`sifa.organisations.scope`).
"""

from sifa.organisations.services.document_codes import (
    can_configure,
    ensure_document_code,
    set_document_code,
    validate_document_code,
)
from sifa.organisations.services.tree import (
    REGIONS_FILE,
    RegionFileError,
    SyncResult,
    build_organisations,
    import_regions,
    read_region_file,
)

__all__ = [
    "REGIONS_FILE",
    "RegionFileError",
    "SyncResult",
    "build_organisations",
    "can_configure",
    "ensure_document_code",
    "import_regions",
    "read_region_file",
    "set_document_code",
    "validate_document_code",
]
