"""Where the XDG base directory variables point, for per-user files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def xdg_dir(environ: Mapping[str, str], name: str, default: Path) -> Path:
    """The folder an XDG variable names, or default when it is unset."""
    # The XDG spec says to ignore a relative value, as if it were unset.
    value = environ.get(name, "")
    return Path(value) if os.path.isabs(value) else default
