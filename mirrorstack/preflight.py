"""Checks before anything starts: a Docker engine, compose v2, and free ports."""

from __future__ import annotations

import errno
import json
import socket
import subprocess

import docker
from docker.errors import DockerException, ImageNotFound

from mirrorstack.errors import PreflightError
from mirrorstack.services import services
from mirrorstack.settings import Configuration, Settings


def check_engine() -> str:
    """Return the engine's version, or explain how to get one running."""
    try:
        version = docker.from_env().version()
    except DockerException as error:
        raise PreflightError(
            f"no Docker engine answers ({error}). Start dockerd (on Debian: "
            "`sudo ci/start-dockerd.sh`), or set DOCKER_HOST to your engine's socket."
        ) from None
    return str(version.get("Version", "unknown"))


def check_compose() -> str:
    """Return compose's version when it is v2, else explain how to install it."""
    result = subprocess.run(
        ["docker", "compose", "version", "--short"],
        capture_output=True,
        text=True,
        check=False,
    )
    version = result.stdout.strip().lstrip("v")
    if result.returncode != 0 or not version.startswith("2."):
        raise PreflightError(
            "`docker compose` v2 is not installed. On Debian run "
            "`sudo ci/install-engine.sh`; elsewhere install the compose plugin."
        )
    return version


def check_mirror_hostname(configuration: Configuration) -> None:
    """Fail when clients would reach the mirror by a name its certificate lacks."""
    hostname = configuration.settings.mirror.hostname
    request = configuration.project.cfssl_dir / "registry.json"
    hosts = json.loads(request.read_text()).get("hosts", [])
    if hostname not in hosts:
        raise PreflightError(
            f"{configuration.project.settings_file}: [mirror] hostname = {hostname!r} "
            f"is not among the hosts of {request} ({', '.join(hosts)}). Add it there "
            "(`invoke certs` then re-issues the leaf certificates) or use one of them."
        )


def missing_images(images: list[str]) -> list[str]:
    """Images that the local engine does not hold."""
    client = docker.from_env()
    missing = []
    for image in images:
        try:
            client.images.get(image)
        except ImageNotFound:
            missing.append(image)
    return missing


def check_stand_in_images(images: list[str]) -> None:
    """Fail when a stand-in image is absent: they are built here, never pulled."""
    missing = missing_images(images)
    if missing:
        raise PreflightError(
            f"stand-in images missing: {', '.join(missing)}. Build them with "
            "`sudo ci/prepare.sh` (or `sudo ci/build-images.sh`)."
        )


def busy_ports(settings: Settings, held_by_stack: set[str]) -> list[tuple[str, int]]:
    """Published ports that something other than this stack already listens on."""
    busy = []
    for service in services(settings):
        if service.name in held_by_stack:
            continue
        for port in service.published_ports:
            if not _is_free(settings.stack.bind_address, port):
                busy.append((service.name, port))
    return busy


def check_ports(settings: Settings, held_by_stack: set[str]) -> None:
    """Fail, naming each busy port and the setting that moves it."""
    busy = busy_ports(settings, held_by_stack)
    if busy:
        listed = ", ".join(f"{port} ({name})" for name, port in busy)
        raise PreflightError(
            f"ports already in use on {settings.stack.bind_address}: {listed}. "
            "Stop what listens there, or change the port in config/settings.toml."
        )


def _is_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True
