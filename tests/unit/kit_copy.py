"""A throwaway copy of the kit's inputs, for tests and benchmarks that run it."""

from __future__ import annotations

import shutil
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
KIT_FILES = ("config", "cfssl", "stack", "dodo.py", "tasks.py")


def copy_kit(destination: Path) -> Path:
    """Copy settings, cfssl inputs, templates, dodo.py and tasks.py into destination."""
    for name in KIT_FILES:
        source = REPOSITORY_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy2(source, destination / name)
    return destination
