"""The `vigie` command: every Django management command, plus the project's own
(`demo`, `serve`, `worker`, `token`, and those of later domains such as `vulns`).

`vigie`, `vigie --help` and `vigie help` list the project's own commands first, each with its
one-line description, then name Django's; `vigie help --django` gives Django's own listing, and
`vigie help COMMAND` a command's options, as Django does.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

HELP_FLAGS = frozenset({"-h", "--help"})
DJANGO_LISTING = "--django"
NAME_WIDTH = 18  # command names up to this length line their descriptions up


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["sensor"]:
        # The sensor runs on the establishment's own machine, without Django.
        from vigie.sensor.cli import main as sensor_main

        raise SystemExit(sensor_main(given[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    from django.core.management import execute_from_command_line

    from vigie.conf.env import ConfigurationError

    args = ["vigie", *given]
    try:
        if not given or given == ["help"] or (len(given) == 1 and given[0] in HELP_FLAGS):
            sys.stdout.write(main_help_text())
        elif given == ["help", DJANGO_LISTING]:
            sys.stdout.write(django_help_text())
        else:
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


def main_help_text() -> str:
    """The project's commands with their descriptions, then where Django's commands are."""
    import django
    from django.core.management import get_commands, load_command_class

    django.setup()
    ours: list[tuple[str, str]] = []
    theirs: list[str] = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("vigie."):
            theirs.append(name)
            continue
        command = load_command_class(app, name)
        ours.append((name, _first_line(str(command.help))))
        # Commands with actions (`vulns match`, `token create`) list each action too.
        parser = command.create_parser("vigie", name)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                ours.extend(
                    (f"{name} {choice.dest}", _first_line(choice.help or ""))
                    for choice in action._choices_actions
                )
    # The sensor is not a Django command: it runs without Django (vigie.sensor.cli).
    ours.extend(
        [
            ("sensor scan", "Match local log files against indicator files (no Django)."),
            ("sensor pull", "Fetch the platform's indicators over TAXII into the sensor's store."),
            ("sensor watch", "Follow live logs and report sightings to the platform."),
            ("sensor send", "Send the sightings queued on this machine now."),
            ("sensor status", "Show the sensor's queue and the logs it follows."),
        ]
    )
    ours.sort()
    lines = [
        "Usage: vigie COMMAND [options]",
        "",
        "Vigie Santé commands:",
        *(_entry(name, description) for name, description in ours),
        "",
        "'vigie COMMAND --help' shows a command's options,",
        "for example 'vigie vulns match --help'.",
        "",
        "Administration commands from Django and its libraries, also run as 'vigie COMMAND'",
        f"('vigie help {DJANGO_LISTING}' lists them by application):",
        textwrap.fill(", ".join(theirs), width=88, initial_indent="  ", subsequent_indent="  "),
    ]
    return "\n".join(lines) + "\n"


def django_help_text() -> str:
    """Django's own listing of every command, grouped by application."""
    import django
    from django.core.management import ManagementUtility

    django.setup()  # without it, only Django's core commands are listed
    return ManagementUtility(["vigie"]).main_help_text() + "\n"


def _entry(name: str, description: str) -> str:
    if len(name) > NAME_WIDTH:
        return f"  {name}\n  {'':{NAME_WIDTH}}  {description}"
    return f"  {name:{NAME_WIDTH}}  {description}"


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


if __name__ == "__main__":
    main()
