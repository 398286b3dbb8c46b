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
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":  # `python -m kitabkhana.cli …`, as the benchmarks run it
    sys.exit(main())
