"""Grafana Alloy as a native systemd user service, for rootless Docker.

A rootless daemon's socket belongs to the user, so the user's own Alloy reads it:
the files go under the user's XDG folders, the unit runs `alloy run` with Alloy's
UI on 127.0.0.1, and logs go to Loki's published port. Where no systemd user
manager runs (containers, WSL), the same files serve an `alloy run` started by
hand, and every helper that needs systemd says so and prints that command.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorstack.errors import StackError
from mirrorstack.files import write_atomically
from mirrorstack.settings import Configuration
from mirrorstack.templates import render_template
from mirrorstack.xdg import xdg_dir

log = logging.getLogger(__name__)

UNIT_NAME = "mirrorstack-alloy.service"
CONFIG_TEMPLATE = "config/alloy/config.alloy.j2"
UNIT_TEMPLATE = "config/alloy/alloy.service.j2"
# Where Grafana's deb and rpm packages install alloy; shown in files rendered for
# inspection before Alloy is installed. install() never writes it unchecked.
PACKAGED_ALLOY = "/usr/bin/alloy"
SYSTEMCTL_TIMEOUT = 30.0
STATE_PROPERTIES = ("LoadState", "ActiveState", "SubState", "MainPID")
INSTALL_HINT = (
    "Install Grafana Alloy from Grafana's apt or rpm repository "
    "(https://grafana.com/docs/alloy/latest/set-up/install/linux/) or put the "
    "release binary from https://github.com/grafana/alloy/releases on PATH, "
    "then run `invoke alloy-install` again; `invoke alloy-install --dry-run` "
    "shows the files without it."
)


@dataclass(frozen=True)
class AlloyPaths:
    """The user unit, Alloy's configuration, and its persistent storage folder."""

    unit: Path
    config: Path
    storage: Path


@dataclass(frozen=True)
class ManualRun:
    """How to run this user's Alloy by hand: the command and the files it reads."""

    command: tuple[str, ...]
    paths: AlloyPaths

    def sentence(self) -> str:
        return (
            "no systemd user manager runs here (common in containers and WSL); "
            f"run Alloy yourself: `{shlex.join(self.command)}` with the files "
            f"`invoke alloy-install` writes to {self.paths.config.parent} and "
            f"{self.paths.storage}."
        )


def alloy_paths(home: Path, environ: Mapping[str, str]) -> AlloyPaths:
    """Name the unit, config and storage paths under the user's XDG folders."""
    config_home = xdg_dir(environ, "XDG_CONFIG_HOME", home / ".config")
    data_home = xdg_dir(environ, "XDG_DATA_HOME", home / ".local" / "share")
    return AlloyPaths(
        unit=config_home / "systemd" / "user" / UNIT_NAME,
        config=config_home / "mirrorstack" / "alloy" / "config.alloy",
        storage=data_home / "mirrorstack" / "alloy",
    )


def docker_socket_url(environ: Mapping[str, str], uid: int) -> str:
    """The user's Docker socket: DOCKER_HOST, XDG_RUNTIME_DIR, or /run/user/UID."""
    docker_host = environ.get("DOCKER_HOST", "")
    if docker_host.startswith("unix://"):
        return docker_host
    runtime = xdg_dir(environ, "XDG_RUNTIME_DIR", Path(f"/run/user/{uid}"))
    return f"unix://{runtime / 'docker.sock'}"


def find_alloy(environ: Mapping[str, str], alloy_binary: str | None = None) -> str:
    """The absolute path of the alloy binary given, or of the one on PATH."""
    wanted = alloy_binary or "alloy"
    found = shutil.which(wanted, path=environ.get("PATH", os.defpath))
    if found is None:
        if alloy_binary:
            raise StackError(
                f"{alloy_binary} is not an executable file. {INSTALL_HINT}"
            )
        raise StackError(f"alloy is not on PATH. {INSTALL_HINT}")
    return os.path.abspath(found)


def manual_run(
    configuration: Configuration,
    home: Path,
    environ: Mapping[str, str],
    alloy_binary: str | None = None,
) -> ManualRun:
    """The `alloy run` command the unit starts, and the files it uses."""
    paths = alloy_paths(home, environ)
    binary = alloy_binary or _alloy_or_packaged(environ)
    command = (
        binary,
        "run",
        f"--server.http.listen-addr=127.0.0.1:{configuration.settings.alloy.port}",
        f"--storage.path={paths.storage}",
        str(paths.config),
    )
    return ManualRun(command, paths)


def render_files(
    configuration: Configuration,
    home: Path,
    environ: Mapping[str, str],
    uid: int,
    alloy_binary: str | None = None,
) -> dict[Path, str]:
    """Render the Alloy config and the user unit without writing either."""
    run = manual_run(configuration, home, environ, alloy_binary)
    root = configuration.project.root
    config = render_template(
        root / CONFIG_TEMPLATE, _config_values(configuration, environ, uid)
    )
    unit = render_template(
        root / UNIT_TEMPLATE,
        {"exec_start": [_unit_word(word) for word in run.command]},
    )
    return {run.paths.config: config, run.paths.unit: unit}


def install(
    configuration: Configuration,
    home: Path,
    environ: Mapping[str, str],
    uid: int,
    alloy_binary: str | None = None,
) -> list[Path]:
    """Write the config and unit that differ, create storage; return what changed."""
    binary = find_alloy(environ, alloy_binary)
    files = render_files(configuration, home, environ, uid, binary)
    changed: list[Path] = []
    for path, text in files.items():
        data = text.encode()
        if path.is_file() and path.read_bytes() == data:
            continue
        write_atomically(path, data)
        log.debug("wrote %s", path)
        changed.append(path)
    storage = alloy_paths(home, environ).storage
    if not storage.is_dir():
        # Alloy's write-ahead log holds log lines: private to the user.
        storage.mkdir(mode=0o700, parents=True)
        changed.append(storage)
    return changed


def settings_notes(configuration: Configuration) -> list[str]:
    """Settings that work against a native Alloy, each as a sentence."""
    settings = configuration.settings
    notes = []
    if settings.alloy.enabled:
        notes.append(
            f"[alloy] enabled = true also runs Alloy as a container on port "
            f"{settings.alloy.port}, the port this Alloy listens on; set "
            "enabled = false in [alloy] to use the native one alone."
        )
    if not settings.loki.enabled:
        notes.append(
            f"[loki] enabled = false: nothing listens on port {settings.loki.port}, "
            "so Alloy will keep retrying its pushes until Loki runs."
        )
    return notes


def has_user_systemd(environ: Mapping[str, str]) -> bool:
    """Whether a systemd user manager answers `systemctl --user`."""
    systemctl = shutil.which("systemctl", path=environ.get("PATH", os.defpath))
    if systemctl is None:
        return False
    try:
        done = subprocess.run(
            [systemctl, "--user", "show-environment"],
            env=dict(environ),
            capture_output=True,
            timeout=SYSTEMCTL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("systemctl --user gave no answer: %s", error)
        return False
    return done.returncode == 0


def systemctl_user(
    *arguments: str, environ: Mapping[str, str], manual: ManualRun
) -> str:
    """Run `systemctl --user` with arguments; return its output."""
    command = [_user_tool("systemctl", environ, manual), "--user", *arguments]
    log.info("running %s", shlex.join(command))
    done = subprocess.run(
        command,
        env=dict(environ),
        capture_output=True,
        text=True,
        timeout=SYSTEMCTL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.strip() or f"exit status {done.returncode}"
        raise StackError(
            f"`systemctl --user {shlex.join(arguments)}` failed: {reason}. "
            f"Read `journalctl --user -u {UNIT_NAME}` for the reason."
        )
    return done.stdout


def unit_state(*, environ: Mapping[str, str], manual: ManualRun) -> dict[str, str]:
    """The unit's load, active and sub state and main pid, as systemd reports them."""
    output = systemctl_user(
        "show",
        UNIT_NAME,
        f"--property={','.join(STATE_PROPERTIES)}",
        environ=environ,
        manual=manual,
    )
    values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    return {name: values.get(name, "") for name in STATE_PROPERTIES}


def journal_user(
    unit: str,
    follow: bool,
    lines: int,
    *,
    environ: Mapping[str, str],
    manual: ManualRun,
) -> None:
    """Print the unit's journal to the terminal, following it if asked."""
    command = [
        _user_tool("journalctl", environ, manual),
        "--user",
        "--unit",
        unit,
        "--lines",
        str(lines),
        "--no-pager",
    ]
    if follow:
        command.append("--follow")
    log.info("running %s", shlex.join(command))
    done = subprocess.run(command, env=dict(environ), check=False)
    if done.returncode != 0:
        raise StackError(
            f"`{shlex.join(command)}` failed (exit status {done.returncode}); "
            "see the output above."
        )


def _config_values(
    configuration: Configuration, environ: Mapping[str, str], uid: int
) -> dict[str, Any]:
    # The keys render.py's _alloy gives the container's copy, with host addresses.
    settings = configuration.settings
    return {
        "alloy": settings.alloy.model_dump(),
        "project": settings.stack.project,
        "docker_socket": docker_socket_url(environ, uid),
        "loki_push_url": f"http://127.0.0.1:{settings.loki.port}/loki/api/v1/push",
    }


def _user_tool(name: str, environ: Mapping[str, str], manual: ManualRun) -> str:
    tool = shutil.which(name, path=environ.get("PATH", os.defpath))
    if tool is None or not has_user_systemd(environ):
        raise StackError(manual.sentence())
    return tool


def _alloy_or_packaged(environ: Mapping[str, str]) -> str:
    found = shutil.which("alloy", path=environ.get("PATH", os.defpath))
    return os.path.abspath(found) if found else PACKAGED_ALLOY


def _unit_word(word: str) -> str:
    # systemd expands %specifiers and $VARIABLES in ExecStart and splits on spaces.
    escaped = word.replace("%", "%%").replace("$", "$$")
    if any(character in escaped for character in " \t\"'\\"):
        escaped = escaped.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return escaped
