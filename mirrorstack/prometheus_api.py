"""Questions to the stack's Prometheus over its HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mirrorstack.errors import StackError
from mirrorstack.settings import Settings

# Distribution 3 names; the pull-through cache counts by type (blob, manifest).
MIRROR_QUERIES = {
    "requests by code": 'sum by (code) (registry_http_requests_total{job="mirror"})',
    "pull-through cache hits": (
        'sum by (type) (registry_proxy_hits_total{job="mirror"})'
    ),
    "pull-through cache misses": (
        'sum by (type) (registry_proxy_misses_total{job="mirror"})'
    ),
    "bytes pulled from upstream": (
        'sum by (type) (registry_proxy_pulled_bytes_total{job="mirror"})'
    ),
}


@dataclass(frozen=True)
class Sample:
    """One series of an instant query: its labels and value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Target:
    """One scrape target and how its last scrape went."""

    job: str
    url: str
    health: str
    last_error: str


def base_url(settings: Settings) -> str:
    return f"http://{settings.stack.bind_address}:{settings.prometheus.port}"


def query(settings: Settings, expression: str) -> list[Sample]:
    """Run an instant PromQL query."""
    data = _get(settings, "/api/v1/query", {"query": expression})
    return [
        Sample(labels=entry["metric"], value=float(entry["value"][1]))
        for entry in data["result"]
    ]


def targets(settings: Settings) -> list[Target]:
    """The active scrape targets."""
    data = _get(settings, "/api/v1/targets", {})
    return [
        Target(
            job=entry["labels"].get("job", ""),
            url=entry["scrapeUrl"],
            health=entry["health"],
            last_error=entry.get("lastError", ""),
        )
        for entry in data["activeTargets"]
    ]


def _get(settings: Settings, path: str, parameters: dict[str, str]) -> dict[str, Any]:
    url = base_url(settings) + path
    try:
        response = httpx.get(url, params=parameters, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise StackError(
            f"Prometheus at {url} did not answer: {error}. "
            "Is it up? Try `invoke status`."
        ) from None
    body = response.json()
    data: dict[str, Any] = body["data"]
    return data
