"""The `vigie` command: every Django management command, plus the project's own
(`demo`, `serve`, `worker`, `token`, and those of later domains such as `vulns`)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    from django.core.management import execute_from_command_line

    from vigie.conf.env import ConfigurationError

    args = ["vigie", *(sys.argv[1:] if argv is None else argv)]
    try:
        execute_from_command_line(args)
    except ConfigurationError as error:
        # A bad environment variable: one clear line, no traceback.
        print(f"vigie: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
