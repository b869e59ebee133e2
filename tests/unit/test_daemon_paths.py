from __future__ import annotations

import os
from pathlib import Path

from mirrorstack.daemon import DaemonMode, DaemonPaths, daemon_paths

HOME = Path("/home/ada")


def test_rootful_paths_are_under_etc_docker() -> None:
    paths = daemon_paths(DaemonMode.ROOTFUL, HOME, {})

    assert paths == DaemonPaths(
        daemon_json=Path("/etc/docker/daemon.json"),
        certs_d=Path("/etc/docker/certs.d"),
        pid_file=Path("/var/run/docker.pid"),
    )


def test_rootless_paths_default_to_dot_config_and_run_user() -> None:
    paths = daemon_paths(DaemonMode.ROOTLESS, HOME, {})

    assert paths == DaemonPaths(
        daemon_json=HOME / ".config/docker/daemon.json",
        certs_d=HOME / ".config/docker/certs.d",
        pid_file=Path(f"/run/user/{os.getuid()}/docker.pid"),
    )


def test_rootless_paths_follow_xdg_config_home() -> None:
    environ = {
        "XDG_CONFIG_HOME": "/srv/ada/config",
        "XDG_RUNTIME_DIR": "/run/user/1000",
    }

    paths = daemon_paths(DaemonMode.ROOTLESS, HOME, environ)

    assert paths == DaemonPaths(
        daemon_json=Path("/srv/ada/config/docker/daemon.json"),
        certs_d=Path("/srv/ada/config/docker/certs.d"),
        pid_file=Path("/run/user/1000/docker.pid"),
    )


def test_rootless_certs_d_is_not_dot_docker() -> None:
    paths = daemon_paths(DaemonMode.ROOTLESS, HOME, {})

    assert HOME / ".docker" not in paths.certs_d.parents


def test_relative_xdg_config_home_is_ignored() -> None:
    environ = {"XDG_CONFIG_HOME": "relative/config"}

    paths = daemon_paths(DaemonMode.ROOTLESS, HOME, environ)

    assert paths.daemon_json == HOME / ".config/docker/daemon.json"


def test_desktop_paths_are_under_dot_docker_without_pid_file() -> None:
    paths = daemon_paths(DaemonMode.DESKTOP, HOME, {})

    assert paths == DaemonPaths(
        daemon_json=HOME / ".docker/daemon.json",
        certs_d=HOME / ".docker/certs.d",
        pid_file=None,
    )


def test_root_moves_every_path_under_it(tmp_path: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": "/run/user/1000"}

    paths = daemon_paths(DaemonMode.ROOTLESS, HOME, environ, root=tmp_path)

    assert paths == DaemonPaths(
        daemon_json=tmp_path / "home/ada/.config/docker/daemon.json",
        certs_d=tmp_path / "home/ada/.config/docker/certs.d",
        pid_file=tmp_path / "run/user/1000/docker.pid",
    )
