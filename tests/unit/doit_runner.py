"""Running a kit copy's dodo.py through doit's own command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_doit(root: Path, *tasks: str, profile: str = "hub") -> list[str]:
    """Run doit and return the names of the tasks it executed (not those up to date)."""
    result = subprocess.run(
        [sys.executable, "-m", "doit", "-f", str(root / "dodo.py"), *tasks],
        env={**os.environ, "MIRRORSTACK_PROFILE": profile},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"doit failed:\n{result.stdout}\n{result.stderr}")
    return [line[3:] for line in result.stdout.splitlines() if line.startswith(".  ")]
