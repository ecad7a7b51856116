"""`sifa` console script and `python -m sifa`: Django's manage.py for Sifa."""

import os
import sys
from collections.abc import MutableMapping

DEVELOPMENT_COMMANDS = frozenset({"demo-accounts", "demo_accounts"})
"""Commands that exist only for the development demo (they refuse to run with ``SIFA_DEBUG`` off)."""


def development_default(argv: list[str], environ: MutableMapping[str, str]) -> None:
    """`.venv/bin/sifa demo-accounts` after `make run`, exactly as the README says: `make run` sets
    ``SIFA_DEBUG=1`` for its own processes only, and without it the settings ask for production
    secrets (an English ``ImproperlyConfigured`` traceback). A development-only command run with
    neither ``SIFA_DEBUG`` nor a production secret in the environment therefore runs in development
    mode, as `make run` does: the same ``var/`` database and development keys. A deployment (one
    that sets ``SIFA_SECRET_KEY``) or an explicit ``SIFA_DEBUG=0`` is left alone, and the command
    refuses there as before."""
    if (
        len(argv) > 1
        and argv[1] in DEVELOPMENT_COMMANDS
        and "SIFA_DEBUG" not in environ
        and not environ.get("SIFA_SECRET_KEY")
    ):
        environ["SIFA_DEBUG"] = "1"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    from django.core.management import execute_from_command_line, get_commands

    argv = list(argv if argv is not None else sys.argv)
    development_default(argv, os.environ)
    # `sifa config-docs` and `sifa config_docs` are the same command.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        import django

        django.setup()
        if argv[1] not in get_commands() and argv[1].replace("-", "_") in get_commands():
            argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
