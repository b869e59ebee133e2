"""What the services did and hold: upstream bytes, resident memory, storage.

Upstream bytes come from two independent counters, both at the upstream:

- its own metrics: `registry_http_response_size_bytes_sum{handler="blob"}`, the
  body bytes of every blob response (a HEAD has none), read from Distribution's
  debug listener inside the container;
- its network: `tx_bytes` of the container's interfaces from the Docker stats
  API, which also counts manifests, headers and TCP/IP overhead.
"""

from __future__ import annotations

import logging
import subprocess
from typing import Any, cast

import docker
from docker.models.containers import Container

from bench.errors import BenchError
from mirrorstack import compose
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)

UPSTREAM = "upstream"
METRICS_URL = "http://localhost:5001/metrics"
BLOB_BYTES = "registry_http_response_size_bytes_sum"
BLOB_HANDLER = 'handler="blob"'
SERVICE_LABEL = "com.docker.compose.service"
PROJECT_LABEL = "com.docker.compose.project"


def upstream_blob_bytes(configuration: Configuration) -> float:
    """Body bytes of every blob response the upstream has sent, from its metrics."""
    text = _exec(configuration, UPSTREAM, "wget", "-q", "-O", "-", METRICS_URL)
    total = 0.0
    found = False
    for line in text.splitlines():
        name, _, rest = line.partition("{")
        if name == BLOB_BYTES and BLOB_HANDLER in rest:
            total += float(line.rsplit(" ", 1)[1])
            found = True
    if not found:
        # Before its first blob response the upstream has no such series: none sent.
        log.debug("no %s{%s} series yet", BLOB_BYTES, BLOB_HANDLER)
    return total


def network_tx_bytes(configuration: Configuration, service: str) -> int:
    """Bytes the service's container has sent on all its networks."""
    stats = _stats(_container(configuration, service))
    networks: dict[str, dict[str, int]] = stats.get("networks") or {}
    return sum(interface["tx_bytes"] for interface in networks.values())


def resident_memory(configuration: Configuration) -> dict[str, int]:
    """Each running service's memory less its page cache, as the stats API has it.

    cgroup v2 reports the page cache as `file`, cgroup v1 as `total_cache`; what is
    left is anonymous memory (heap, stacks) and kernel memory: what the service
    itself holds, not the files it happened to read.
    """
    memory = {}
    for container in _containers(configuration):
        stats = _stats(container)["memory_stats"]
        detail: dict[str, int] = stats.get("stats", {})
        cache = detail.get("file", detail.get("total_cache", 0))
        service = str(container.labels[SERVICE_LABEL])
        memory[service] = int(stats["usage"]) - cache
    return dict(sorted(memory.items()))


def stored_bytes(configuration: Configuration, service: str, path: str) -> int:
    """Apparent size of everything under path inside the service's container."""
    text = _exec(configuration, service, "busybox", "du", "-sb", path)
    return int(text.split()[0])


def _exec(configuration: Configuration, service: str, *argv: str) -> str:
    command = compose.command(configuration, "exec", "-T", service, *argv)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(
            f"`{' '.join(argv)}` in the {service} container failed "
            f"({result.stderr.strip()}). Check `docker compose ps` for {service}."
        )
    return result.stdout


def _containers(configuration: Configuration) -> list[Container]:
    project = configuration.settings.stack.project
    return list(
        docker.from_env().containers.list(
            filters={"label": f"{PROJECT_LABEL}={project}", "status": "running"}
        )
    )


def _container(configuration: Configuration, service: str) -> Container:
    for container in _containers(configuration):
        if container.labels.get(SERVICE_LABEL) == service:
            return container
    raise BenchError(
        f"no running {service} container in project "
        f"{configuration.settings.stack.project}. Check `docker compose ps`."
    )


def _stats(container: Container) -> dict[str, Any]:
    # With stream=False the API answers one JSON document, not an iterator.
    return cast(dict[str, Any], container.stats(stream=False, one_shot=True))
