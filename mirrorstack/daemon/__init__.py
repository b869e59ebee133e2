"""Wiring the user's Docker daemon to the mirror: trust, registry-mirrors, reload.

Each module does one job, in the order a change is made: mode (which engine
runs), paths (where its files are), trust (certs.d), mirrors (daemon.json),
reload (SIGHUP) and confirm (`docker info`).
"""

from __future__ import annotations

from mirrorstack.daemon.confirm import wait_for_mirror
from mirrorstack.daemon.mirrors import (
    MergeResult,
    merge_registry_mirrors,
    remove_registry_mirror,
)
from mirrorstack.daemon.mode import DaemonMode, current_mode, detect_mode
from mirrorstack.daemon.paths import DaemonPaths, daemon_paths
from mirrorstack.daemon.reload import reload_daemon
from mirrorstack.daemon.trust import install_trust

__all__ = [
    "DaemonMode",
    "DaemonPaths",
    "MergeResult",
    "current_mode",
    "daemon_paths",
    "detect_mode",
    "install_trust",
    "merge_registry_mirrors",
    "reload_daemon",
    "remove_registry_mirror",
    "wait_for_mirror",
]
