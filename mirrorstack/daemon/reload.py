"""Making a running dockerd read its daemon.json again, without a restart.

SIGHUP makes dockerd reload registry-mirrors. Where systemd runs docker it is
asked to do it (its unit sends the same signal), so its view of the service
stays true; otherwise the signal goes to the pid in the daemon's pid file, or
to the one dockerd process of the right owner found in /proc.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mirrorstack.daemon.mode import DaemonMode
from mirrorstack.daemon.paths import DaemonPaths
from mirrorstack.errors import DaemonConfigError

log = logging.getLogger(__name__)

SYSTEMCTL_TIMEOUT = 30.0


def reload_daemon(
    mode: DaemonMode,
    paths: DaemonPaths,
    environ: Mapping[str, str],
    proc: Path = Path("/proc"),
) -> str:
    """Make dockerd apply its daemon.json; return a sentence saying how."""
    if mode is DaemonMode.DESKTOP:
        raise DaemonConfigError(
            "Docker Desktop's daemon runs in its own VM and cannot be reloaded "
            "from here. Open Docker Desktop > Settings > Docker Engine, make its "
            f"registry-mirrors match {paths.daemon_json}, then Apply & restart."
        )
    rootless = mode is DaemonMode.ROOTLESS
    reloaded = _reload_with_systemd(rootless, environ)
    if reloaded is not None:
        return reloaded
    owner = os.getuid() if rootless else 0
    pid = _dockerd_pid(paths.pid_file, owner, proc)
    _hang_up(pid)
    return f"Sent SIGHUP to dockerd (pid {pid}), which reloads its daemon.json."


def _reload_with_systemd(rootless: bool, environ: Mapping[str, str]) -> str | None:
    systemctl = shutil.which("systemctl", path=environ.get("PATH"))
    if systemctl is None:
        return None
    scope = ["--user"] if rootless else []
    if _systemctl([systemctl, *scope, "is-active", "--quiet", "docker"], environ):
        log.debug("systemd does not run docker here; signalling dockerd directly")
        return None
    command = [systemctl, *scope, "reload", "docker"]
    failure = _systemctl(command, environ)
    if failure:
        journal = " ".join(["journalctl", *scope, "-u", "docker"])
        raise DaemonConfigError(
            f"`{' '.join(command)}` failed: {failure}. "
            f"Read `{journal}` for the reason, fix it, then run again."
        )
    return f"Reloaded docker with `systemctl {' '.join([*scope, 'reload', 'docker'])}`."


def _systemctl(command: list[str], environ: Mapping[str, str]) -> str:
    """Run systemctl; return why it failed, or an empty string on success."""
    log.info("running %s", " ".join(command))
    try:
        done = subprocess.run(
            command,
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=SYSTEMCTL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {SYSTEMCTL_TIMEOUT:g} s"
    if done.returncode == 0:
        return ""
    return done.stderr.strip() or f"exit status {done.returncode}"


def _dockerd_pid(pid_file: Path | None, owner: int, proc: Path) -> int:
    if pid_file is not None:
        pid = _read_pid(pid_file)
        # A stale pid file may name a process that is no longer dockerd.
        if pid is not None and _is_dockerd(proc / str(pid), owner):
            return pid
        log.info("%s names no running dockerd; looking in %s", pid_file, proc)
    pids = sorted(
        int(entry.name)
        for entry in proc.iterdir()
        if entry.name.isdigit() and _is_dockerd(entry, owner)
    )
    if len(pids) == 1:
        return pids[0]
    if not pids:
        raise DaemonConfigError(
            f"no dockerd owned by uid {owner} is running. Start Docker, or run "
            "mirrorstack as the user who runs it, then run again."
        )
    raise DaemonConfigError(
        f"several dockerd processes owned by uid {owner} are running "
        f"({', '.join(map(str, pids))}). Send SIGHUP to the one the mirror is "
        "for with `kill -HUP PID`."
    )


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_dockerd(entry: Path, owner: int) -> bool:
    try:
        name = (entry / "comm").read_text().strip()
        return name == "dockerd" and entry.stat().st_uid == owner
    except OSError:
        # The process exited while we looked, or was never there.
        return False


def _hang_up(pid: int) -> None:
    log.info("sending SIGHUP to dockerd (pid %s)", pid)
    try:
        os.kill(pid, signal.SIGHUP)
    except PermissionError:
        raise DaemonConfigError(
            f"not allowed to signal dockerd (pid {pid}) as uid {os.getuid()}. "
            "Run again as root (sudo) for a rootful daemon."
        ) from None
    except ProcessLookupError:
        raise DaemonConfigError(
            f"dockerd (pid {pid}) exited before it could reload. Start Docker, "
            "then run again."
        ) from None
