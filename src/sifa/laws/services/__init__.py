"""Law library commands — the only write path of ``sifa.laws``: ``importer`` (a folder of statute
files, or the built-in sample), one transaction with its audit event."""

from sifa.laws.services.importer import ImportResult, import_directory, import_sample

__all__ = ["ImportResult", "import_directory", "import_sample"]
