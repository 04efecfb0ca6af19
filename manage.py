#!/usr/bin/env python
"""Django's command-line utility; `busanhub.settings.dev` is the default settings module."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
