"""`sifa generate-cases` on a database without the catalogue (its own module: the generator
tests share a module-wide catalogue)."""

import pytest
from django.core.management import CommandError, call_command


def test_without_a_catalogue_it_says_what_to_load(db):
    with pytest.raises(CommandError, match="sifa load-catalogue"):
        call_command("generate-cases", "--cases", "10", "--no-progress")
