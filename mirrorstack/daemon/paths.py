"""Where each kind of engine keeps daemon.json, certs.d and its pid file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mirrorstack.daemon.mode import DaemonMode
from mirrorstack.xdg import xdg_dir


@dataclass(frozen=True)
class DaemonPaths:
    """The files mirrorstack changes, and the pid file that finds the daemon.

    pid_file is None for Docker Desktop, whose daemon runs inside a VM.
    """

    daemon_json: Path
    certs_d: Path
    pid_file: Path | None


def daemon_paths(
    mode: DaemonMode,
    home: Path,
    environ: Mapping[str, str],
    root: Path = Path("/"),
) -> DaemonPaths:
    """Name the daemon's files for mode, every one placed under root."""
    if mode is DaemonMode.ROOTFUL:
        paths = DaemonPaths(
            daemon_json=Path("/etc/docker/daemon.json"),
            certs_d=Path("/etc/docker/certs.d"),
            pid_file=Path("/var/run/docker.pid"),
        )
    elif mode is DaemonMode.ROOTLESS:
        config = xdg_dir(environ, "XDG_CONFIG_HOME", home / ".config") / "docker"
        runtime = xdg_dir(environ, "XDG_RUNTIME_DIR", Path(f"/run/user/{os.getuid()}"))
        # A rootless daemon reads certs.d beside its daemon.json, not ~/.docker.
        paths = DaemonPaths(
            daemon_json=config / "daemon.json",
            certs_d=config / "certs.d",
            pid_file=runtime / "docker.pid",
        )
    else:
        paths = DaemonPaths(
            daemon_json=home / ".docker" / "daemon.json",
            certs_d=home / ".docker" / "certs.d",
            pid_file=None,
        )
    return _under(root, paths)


def _under(root: Path, paths: DaemonPaths) -> DaemonPaths:
    def move(path: Path) -> Path:
        return root / path.relative_to(path.anchor)

    return DaemonPaths(
        daemon_json=move(paths.daemon_json),
        certs_d=move(paths.certs_d),
        pid_file=None if paths.pid_file is None else move(paths.pid_file),
    )
