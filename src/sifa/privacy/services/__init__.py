"""Privacy commands: the citizen's copy of their data (``export``) and the retention purge (``purge``)."""

from sifa.privacy.services.export import ExportLimited, export_for
from sifa.privacy.services.purge import purge

__all__ = ["ExportLimited", "export_for", "purge"]
