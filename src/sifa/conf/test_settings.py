"""Settings for the test suite: the production settings with SIFA_TESTING on."""

import os

os.environ["SIFA_TESTING"] = "1"
os.environ.setdefault("SIFA_DEBUG", "0")

from sifa.conf.settings import *  # noqa: F403
