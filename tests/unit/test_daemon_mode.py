from __future__ import annotations

import socket
from typing import Any

import pytest

from mirrorstack.daemon import DaemonMode, current_mode, detect_mode
from mirrorstack.errors import DaemonConfigError

# Trimmed from real `docker info` answers (docker SDK client.info()).
ROOTFUL_INFO: dict[str, Any] = {
    "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
    "SecurityOptions": [
        "name=apparmor",
        "name=seccomp,profile=builtin",
        "name=cgroupns",
    ],
}
ROOTLESS_INFO: dict[str, Any] = {
    "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
    "SecurityOptions": [
        "name=seccomp,profile=builtin",
        "name=rootless",
        "name=cgroupns",
    ],
}
DESKTOP_INFO: dict[str, Any] = {
    "OperatingSystem": "Docker Desktop",
    "SecurityOptions": ["name=seccomp,profile=unconfined", "name=cgroupns"],
}


@pytest.mark.parametrize(
    ("info", "mode"),
    [
        (ROOTFUL_INFO, DaemonMode.ROOTFUL),
        (ROOTLESS_INFO, DaemonMode.ROOTLESS),
        (DESKTOP_INFO, DaemonMode.DESKTOP),
    ],
    ids=["rootful", "rootless", "desktop"],
)
def test_detect_mode_reads_docker_info(info: dict[str, Any], mode: DaemonMode) -> None:
    detected = detect_mode(info)

    assert detected is mode


def test_rootless_is_found_among_combined_security_options() -> None:
    info = {"SecurityOptions": ["name=seccomp,profile=default,name=rootless"]}

    detected = detect_mode(info)

    assert detected is DaemonMode.ROOTLESS


def test_info_without_security_options_means_rootful() -> None:
    info = {"OperatingSystem": "Ubuntu 24.04 LTS", "SecurityOptions": None}

    detected = detect_mode(info)

    assert detected is DaemonMode.ROOTFUL


def test_current_mode_without_an_engine_says_how_to_point_at_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bound port that does not listen refuses connections. TCP, because the
    # docker SDK leaks the socket of a failed unix-socket connection.
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        host, port = closed_port.getsockname()
        monkeypatch.setenv("DOCKER_HOST", f"tcp://{host}:{port}")

        with pytest.raises(
            DaemonConfigError, match=r"no Docker engine answered.*DOCKER_HOST"
        ):
            current_mode()
