"""`sifa` console script and `python -m sifa`: Django's manage.py for Sifa."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    from django.core.management import execute_from_command_line, get_commands

    argv = list(argv if argv is not None else sys.argv)
    # `sifa config-docs` and `sifa config_docs` are the same command.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        import django

        django.setup()
        if argv[1] not in get_commands() and argv[1].replace("-", "_") in get_commands():
            argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
