"""Settings of the benchmarked server: Sifa's production settings plus the bench-only URLconf.

Kept out of the ``sifa`` package so a production deployment can never expose the bench views.
"""

from sifa.conf.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
