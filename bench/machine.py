"""The machine the figures come from, as RESULTS.md records it."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docker

from mirrorstack import preflight
from mirrorstack.settings import Configuration

MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class Machine:
    """Processors, memory, kernel, the container tools and the stand-in images."""

    cpus: int
    memory_bytes: int
    kernel: str
    docker: str
    compose: str
    skopeo: str
    python: str
    # "name:tag (image id)" of each stand-in image the stacks ran.
    images: tuple[str, ...]
    date: str


def describe(configuration: Configuration) -> Machine:
    """Read the machine's description now; the images are the configuration's."""
    return Machine(
        cpus=len(os.sched_getaffinity(0)),
        memory_bytes=_memory_total(),
        kernel=platform.release(),
        docker=preflight.check_engine(),
        compose=preflight.check_compose(),
        skopeo=_skopeo_version(),
        python=platform.python_version(),
        images=_images(configuration),
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _memory_total() -> int:
    for line in MEMINFO.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _skopeo_version() -> str:
    result = subprocess.run(
        ["skopeo", "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip().removeprefix("skopeo version ") or "unknown"


def _images(configuration: Configuration) -> tuple[str, ...]:
    images = configuration.images
    client = docker.from_env()
    names = (
        images.registry,
        images.front,
        images.prometheus,
        images.jaeger,
        images.busybox,
    )
    return tuple(f"{name} ({client.images.get(name).short_id})" for name in names)
