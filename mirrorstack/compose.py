"""Running `docker compose` against the rendered stack, with argument lists."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from mirrorstack.errors import StackError
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceState:
    """One compose service as `docker compose ps` reports it."""

    service: str
    state: str
    health: str


def command(configuration: Configuration, *arguments: str) -> list[str]:
    """The full `docker compose` argument list for this project."""
    project = configuration.project
    if not project.compose_file.is_file():
        raise StackError(
            f"{project.compose_file} does not exist. Run `invoke render` first."
        )
    # compose writes terminal control codes even into pipes unless told not to.
    ansi = [] if sys.stdout.isatty() else ["--ansi", "never"]
    return [
        "docker",
        "compose",
        *ansi,
        "--project-name",
        configuration.settings.stack.project,
        "--file",
        str(project.compose_file),
        *arguments,
    ]


def run(
    configuration: Configuration, *arguments: str, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run one compose command; raise StackError with its output when it fails."""
    argv = command(configuration, *arguments)
    log.info("running %s", " ".join(argv))
    # Container logs may hold bytes that are not UTF-8; show them, do not fail on them.
    result = subprocess.run(
        argv, capture_output=capture, text=True, errors="replace", check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip() if capture else "see the output above"
        raise StackError(
            f"`docker compose {' '.join(arguments)}` failed ({detail}). "
            f"Check `invoke status` and `invoke logs`."
        )
    return result


def service_states(configuration: Configuration) -> dict[str, ServiceState]:
    """Each service's container state and health, by service name."""
    result = run(configuration, "ps", "--all", "--format", "json", capture=True)
    states = {}
    for entry in _parse_ps(result.stdout):
        service = str(entry.get("Service", ""))
        states[service] = ServiceState(
            service=service,
            state=str(entry.get("State", "")),
            health=str(entry.get("Health", "")),
        )
    return states


def _parse_ps(output: str) -> list[dict[str, Any]]:
    # compose prints one JSON object per line; older releases print one array.
    text = output.strip()
    if not text:
        return []
    if text.startswith("["):
        parsed: list[dict[str, Any]] = json.loads(text)
        return parsed
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def images(configuration: Configuration) -> list[str]:
    """Every image the rendered compose file names."""
    result = run(configuration, "config", "--images", capture=True)
    return sorted(set(result.stdout.split()))
