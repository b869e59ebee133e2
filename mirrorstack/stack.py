"""Starting, stopping and inspecting the compose stack."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx

from mirrorstack import compose, preflight
from mirrorstack.errors import StackError
from mirrorstack.http import kit_ssl_context
from mirrorstack.services import Service, services
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)

RUNNING = "running"
# The image set of config/images.toml that is built here, never pulled.
STAND_IN_IMAGES = "offline"


@dataclass(frozen=True)
class ServiceStatus:
    """One row of `invoke status`."""

    service: str
    state: str
    health: str
    url: str


def running_services(configuration: Configuration) -> set[str]:
    """Services of this project whose containers run now."""
    if not configuration.project.compose_file.is_file():
        return set()
    states = compose.service_states(configuration)
    return {name for name, state in states.items() if state.state == RUNNING}


def up(configuration: Configuration, timeout: int = 180) -> dict[str, float]:
    """Start every service, wait for health, and return seconds until each answered."""
    settings = configuration.settings
    preflight.check_ports(settings, running_services(configuration))
    started = time.monotonic()
    compose.run(
        configuration, "up", "--detach", "--wait", "--wait-timeout", str(timeout)
    )
    return wait_until_ready(configuration, started, timeout)


def wait_until_ready(
    configuration: Configuration, started: float, timeout: float
) -> dict[str, float]:
    """Poll each service's readiness URL from the host until it answers 200."""
    context = kit_ssl_context(configuration.project)
    ready = {}
    with httpx.Client(verify=context, timeout=3.0) as client:
        for service in services(configuration.settings):
            if service.ready_url is None:
                continue
            _wait_for(client, service, started + timeout)
            ready[service.name] = time.monotonic() - started
            log.info("%s ready in %.1f s", service.name, ready[service.name])
    return ready


def _wait_for(client: httpx.Client, service: Service, deadline: float) -> None:
    last = "no answer yet"
    url = str(service.ready_url)
    while time.monotonic() < deadline:
        try:
            response = client.get(url)
        except httpx.HTTPError as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if response.status_code == httpx.codes.OK:
                return
            last = f"HTTP {response.status_code}"
        time.sleep(1)
    raise StackError(
        f"{service.name} did not become ready at {url} ({last}). "
        f"Hint: `invoke logs --service {service.name}`."
    )


def status(configuration: Configuration) -> list[ServiceStatus]:
    """Each enabled service's container state, health and URL."""
    states = compose.service_states(configuration)
    rows = []
    for service in services(configuration.settings):
        state = states.get(service.name)
        rows.append(
            ServiceStatus(
                service=service.name,
                state=state.state if state else "absent",
                health=(state.health or "-") if state else "-",
                url=service.url,
            )
        )
    return rows


def down(configuration: Configuration, remove_volumes: bool = False) -> None:
    """Stop and remove the containers, and the volumes when asked."""
    arguments = ["down", "--remove-orphans"]
    if remove_volumes:
        arguments.append("--volumes")
    compose.run(configuration, *arguments)


def restart(configuration: Configuration, service: str | None = None) -> None:
    """Restart every service, or one."""
    compose.run(configuration, "restart", *([service] if service else []))


def logs(
    configuration: Configuration, service: str | None, follow: bool, tail: int
) -> None:
    """Show container logs of every service, or one."""
    arguments = ["logs", "--tail", str(tail)]
    if follow:
        arguments.append("--follow")
    compose.run(configuration, *arguments, *([service] if service else []))
