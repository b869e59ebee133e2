"""Reaching the Docker engine that DOCKER_HOST (or the default socket) names."""

from __future__ import annotations

import docker
from docker import DockerClient
from docker.errors import DockerException
from requests import RequestException

from mirrorstack.errors import DaemonConfigError

# What the docker SDK raises when no engine answers on the socket.
ENGINE_ERRORS = (DockerException, RequestException)


def connect() -> DockerClient:
    """Open a client to the engine, or say how to point at one."""
    try:
        return docker.from_env()
    except ENGINE_ERRORS as error:
        raise no_engine(error) from None


def no_engine(error: Exception) -> DaemonConfigError:
    """Explain that no engine answered, and how to name the right one."""
    return DaemonConfigError(
        f"no Docker engine answered ({error}). Start dockerd, or point "
        "DOCKER_HOST at its socket (rootless: unix:///run/user/UID/docker.sock), "
        "then run again."
    )
