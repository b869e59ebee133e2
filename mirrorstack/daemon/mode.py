"""Which kind of Docker engine the user runs, read from `docker info`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from mirrorstack.daemon.engine import ENGINE_ERRORS, connect, no_engine


class DaemonMode(enum.StrEnum):
    """How the engine runs; each mode keeps its files in different places."""

    ROOTFUL = "rootful"
    ROOTLESS = "rootless"
    DESKTOP = "desktop"


def detect_mode(info: Mapping[str, Any]) -> DaemonMode:
    """Tell the engine's mode from the fields of `docker info`."""
    if info.get("OperatingSystem") == "Docker Desktop":
        return DaemonMode.DESKTOP
    # Each entry reads like "name=seccomp,profile=builtin"; only the name matters.
    for option in info.get("SecurityOptions") or []:
        if "name=rootless" in str(option).split(","):
            return DaemonMode.ROOTLESS
    return DaemonMode.ROOTFUL


def current_mode() -> DaemonMode:
    """Ask the engine named by DOCKER_HOST (or the default socket) for its mode."""
    client = connect()
    try:
        info = client.info()
    except ENGINE_ERRORS as error:
        raise no_engine(error) from None
    finally:
        client.close()
    return detect_mode(info)
