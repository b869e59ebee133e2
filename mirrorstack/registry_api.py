"""Calls to a registry's HTTP API v2 through httpx, trusting the kit's CA."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from mirrorstack.errors import RegistryApiError

PAGE_SIZE = 100

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry served it."""

    media_type: str
    digest: str
    body: dict[str, Any]


class RegistryClient:
    """A registry at base_url, e.g. https://localhost:5000."""

    def __init__(self, base_url: str, client: httpx.Client) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client

    def catalog(self, page_size: int = PAGE_SIZE) -> list[str]:
        """Every repository, following the catalog's Link pagination."""
        return self._paginate(f"/v2/_catalog?n={page_size}", "repositories")

    def tags(self, repository: str, page_size: int = PAGE_SIZE) -> list[str]:
        """Every tag of one repository, following Link pagination."""
        return self._paginate(f"/v2/{repository}/tags/list?n={page_size}", "tags")

    def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest of a tag or digest, asking for Docker v2 and OCI types."""
        response = self._get(
            f"/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        return Manifest(
            media_type=response.headers.get("content-type", ""),
            digest=response.headers.get("docker-content-digest", ""),
            body=json.loads(response.content),
        )

    def _paginate(self, path: str, key: str) -> list[str]:
        items: list[str] = []
        next_path: str | None = path
        while next_path:
            response = self._get(next_path)
            items.extend(response.json().get(key) or [])
            next_path = _next_link(response)
        return items

    def _get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        url = urljoin(self.base_url + "/", path.lstrip("/"))
        try:
            response = self._client.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise RegistryApiError(
                f"GET {url} failed: {error}. Is the stack up? Try `invoke status`."
            ) from None
        if response.status_code != httpx.codes.OK:
            raise RegistryApiError(
                f"GET {url} answered HTTP {response.status_code}: "
                f"{_registry_error(response)}."
            )
        return response


def repository_name(name: str) -> str:
    """Docker Hub's name for an image: `busybox` is `library/busybox`."""
    return name if "/" in name else f"library/{name}"


def refuses_push(base_url: str, client: httpx.Client, repository: str) -> str:
    """Start a blob upload; return the registry's refusal, or raise if it accepts."""
    url = f"{base_url.rstrip('/')}/v2/{repository}/blobs/uploads/"
    response = client.post(url)
    if response.status_code == httpx.codes.ACCEPTED:
        client.delete(urljoin(url, response.headers.get("location", "")))
        raise RegistryApiError(
            f"POST {url} started an upload: this registry takes pushes. A "
            "pull-through cache must not; check its configuration has a proxy section."
        )
    return f"HTTP {response.status_code} {_registry_error(response)}"


def _next_link(response: httpx.Response) -> str | None:
    # Distribution answers `Link: </v2/_catalog?last=x&n=100>; rel="next"`.
    link = response.links.get("next")
    return link["url"] if link else None


def _registry_error(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return response.text[:200] or "no body"
    return (
        "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or "no detail"
    )
