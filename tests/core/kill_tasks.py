"""Tasks for the kill tests: they wait for a signal file, so a test can kill their worker mid-way.

Imported by `vigie worker` subprocesses (the repository root is on their PYTHONPATH).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task

from vigie.core import recovery


def _step(folder: str, name: str) -> str:
    path = Path(folder)
    (path / f"{name}.started.{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (path / f"{name}.go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: no go file")
        time.sleep(0.05)
    (path / f"{name}.done.{os.getpid()}").touch()
    return name


@task()
def rerunnable_step(folder: str, name: str) -> str:
    """Safe to run again from the start: registered below."""
    return _step(folder, name)


@task()
def one_shot_step(folder: str, name: str) -> str:
    """Not registered: a run its worker's death interrupted is marked failed."""
    return _step(folder, name)


recovery.rerun_if_interrupted(rerunnable_step)
