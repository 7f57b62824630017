"""Shared by the benchmarks: where the real data is, and importing the engines from src/.

Importing this module puts the repository's src/ on sys.path, so a benchmark runs from a plain
checkout (`.venv/bin/python bench/bench_x.py`) whether or not the package is installed.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

DATA = Path(os.environ.get("VIGIE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
