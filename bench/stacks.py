"""A throwaway copy of the kit with the bench profiles, and its stacks up and down.

Each variant is a profile over the offline one: stand-in images, a local upstream,
every port moved to 35000 and up, and a project name of its own, so that a user's
stack and the test suite's (5000..., 15000...) run beside it undisturbed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import docker
import tomli_w

from bench.errors import BenchError
from mirrorstack import compose
from mirrorstack.settings import PROFILE_VARIABLE, Configuration, Project, load
from tests.unit.kit_copy import copy_kit

log = logging.getLogger(__name__)

PROJECT_PREFIX = "mirrorstack-bench"
PROJECT_LABEL = "com.docker.compose.project"
# doit marks each task it executes with this prefix; up-to-date tasks get "-- ".
EXECUTED_PREFIX = ".  "

PORTS: dict[str, dict[str, Any]] = {
    "mirror": {"port": 35000},
    "front": {"metrics_port": 35443},
    "push_registry": {"port": 35002},
    # The bench pushes its own images; the sample image would only slow quickstart.
    "upstream": {"port": 35003, "seed": []},
    "prometheus": {"port": 35090},
    "jaeger": {"ui_port": 35686, "otlp_grpc_port": 35317, "otlp_http_port": 35318},
}


class Variant(StrEnum):
    """The two stacks compared: with the nginx front, and the registry alone."""

    FRONT = "front"
    REGISTRY = "registry"

    @property
    def profile(self) -> str:
        return f"bench-{self.value}"

    @property
    def project_name(self) -> str:
        return f"{PROJECT_PREFIX}-{self.value}"

    @property
    def label(self) -> str:
        return "front" if self is Variant.FRONT else "registry alone"


@dataclass(frozen=True)
class DoitRun:
    """One `doit env certs render`: its wall time and the tasks it executed."""

    seconds: float
    executed: tuple[str, ...]


def make_kit_copy(destination: Path) -> Project:
    """Copy the kit's inputs into destination and write one profile per variant."""
    project = Project(copy_kit(destination))
    offline = project.profile_file("offline")
    for variant in Variant:
        profile = bench_profile(offline, variant)
        project.profile_file(variant.profile).write_text(tomli_w.dumps(profile))
    log.info("kit copy with profiles %s in %s", _profile_names(), destination)
    return project


def bench_profile(offline_profile: Path, variant: Variant) -> dict[str, Any]:
    """The offline profile with the bench's ports, project name and front switch."""
    with offline_profile.open("rb") as handle:
        profile = tomllib.load(handle)
    for section, values in PORTS.items():
        profile.setdefault(section, {}).update(values)
    profile.setdefault("stack", {})["project"] = variant.project_name
    profile.setdefault("front", {})["enabled"] = variant is Variant.FRONT
    return profile


def configuration(project: Project, variant: Variant) -> Configuration:
    return load(project, variant.profile)


def run_doit(project: Project, variant: Variant) -> DoitRun:
    """Run the copy's `doit env certs render` as a user would; time it."""
    argv = [
        sys.executable,
        "-m",
        "doit",
        "-f",
        str(project.root / "dodo.py"),
        "env",
        "certs",
        "render",
    ]
    started = time.monotonic()
    result = subprocess.run(
        argv,
        env={**os.environ, PROFILE_VARIABLE: variant.profile},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError(
            f"doit in the kit copy {project.root} failed (profile {variant.profile}): "
            f"{(result.stdout + result.stderr).strip()}. Run the same command there."
        )
    executed = tuple(
        line.removeprefix(EXECUTED_PREFIX)
        for line in result.stdout.splitlines()
        if line.startswith(EXECUTED_PREFIX)
    )
    return DoitRun(seconds, executed)


def quickstart(project: Project, variant: Variant) -> float:
    """Time the copy's `invoke quickstart` until every service is ready."""
    argv = [
        sys.executable,
        "-m",
        "invoke",
        "--search-root",
        str(project.root),
        "quickstart",
        "--profile",
        variant.profile,
    ]
    environment = {k: v for k, v in os.environ.items() if k != PROFILE_VARIABLE}
    started = time.monotonic()
    result = subprocess.run(
        argv, env=environment, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError(
            f"`invoke quickstart --profile {variant.profile}` in {project.root} failed:"
            f"\n{result.stdout}{result.stderr}Hint: `docker compose --project-name "
            f"{variant.project_name} logs` shows why a service did not start."
        )
    log.info("%s: quickstart to all healthy in %.1f s", variant.label, seconds)
    return seconds


def down(configuration: Configuration) -> None:
    """Remove the stack's containers, network and volumes (the caches too)."""
    compose.run(configuration, "down", "--remove-orphans", "--volumes", capture=True)


def leftovers() -> list[str]:
    """Containers and volumes of any bench project still on this engine."""
    client = docker.from_env()
    found = []
    for container in client.containers.list(all=True, filters={"label": PROJECT_LABEL}):
        if str(container.labels.get(PROJECT_LABEL, "")).startswith(PROJECT_PREFIX):
            found.append(f"container {container.name}")
    for volume in client.volumes.list(filters={"label": PROJECT_LABEL}):
        labels = volume.attrs.get("Labels") or {}
        if str(labels.get(PROJECT_LABEL, "")).startswith(PROJECT_PREFIX):
            found.append(f"volume {volume.name}")
    return found


def _profile_names() -> str:
    return ", ".join(variant.profile for variant in Variant)
