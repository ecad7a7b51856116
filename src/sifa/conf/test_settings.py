"""Settings for the test suite: the production settings with SIFA_TESTING on."""

import os

os.environ["SIFA_TESTING"] = "1"
os.environ.setdefault("SIFA_DEBUG", "0")
# The partner stand-in answers in tests (tests of production behaviour override PARTNER_DATA).
os.environ.setdefault("SIFA_PARTNER_DATA", "simulated")

from sifa.conf.settings import *  # noqa: F403

# One test database file per test run, so that runs in parallel never share a file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
