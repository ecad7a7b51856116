"""Settings for the test suite: the production settings with SIFA_TESTING on."""

import os

os.environ["SIFA_TESTING"] = "1"
os.environ.setdefault("SIFA_DEBUG", "0")
# The partner stand-in answers in tests (tests of production behaviour override PARTNER_DATA).
os.environ.setdefault("SIFA_PARTNER_DATA", "simulated")
# A pytest-xdist worker (``pytest -n 2``) keeps its local state in a folder of its own,
# var/workers/<gw0…>: uploads and documents (MEDIA_ROOT), the development secrets, the demo
# partners' keys, the jieba cache, the SQLite test file. Workers writing the same file would
# overwrite each other (two demo partner keys, one file). Set here, before the settings read it,
# so the processes a test starts (they import these settings and inherit the environment) use
# the same folder. A SIFA_VAR_DIR set by the caller (the restore drill's children) is kept.
if os.environ.get("PYTEST_XDIST_WORKER") and "SIFA_VAR_DIR" not in os.environ:
    from sifa.conf.env import env

    os.environ["SIFA_VAR_DIR"] = str(env("SIFA_VAR_DIR") / "workers" / os.environ["PYTEST_XDIST_WORKER"])

from sifa.conf.settings import *  # noqa: F403

# One test database file per test run, so that runs in parallel never share a file.
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
