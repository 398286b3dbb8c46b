"""The ``kitabkhana`` console script: Django's management commands with the project's settings.

``kitabkhana import-marc FILE`` is ``manage.py import-marc FILE``; ``kitabkhana institution add``
and ``kitabkhana serve`` are management commands too, so one entry point serves staff and scripts.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "kitabkhana"
    try:
        execute_from_command_line(args)
    except BrokenPipeError:
        # `kitabkhana clusters --json | head`: the reader has gone; stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":  # `python -m kitabkhana.cli …`, as the benchmarks run it
    sys.exit(main())
