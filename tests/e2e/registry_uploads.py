"""Putting blobs and manifests into a registry through its HTTP API."""

from __future__ import annotations

import hashlib
import json

import httpx


def upload_blob(http: httpx.Client, base_url: str, repository: str, data: bytes) -> str:
    """Upload one blob in a single PUT; return its digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = http.post(f"{base_url}/v2/{repository}/blobs/uploads/")
    started.raise_for_status()
    upload = httpx.URL(base_url).join(started.headers["location"])
    http.put(
        upload.copy_merge_params({"digest": digest}),
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    ).raise_for_status()
    return digest


def put_manifest(
    http: httpx.Client,
    base_url: str,
    repository: str,
    tag: str,
    manifest: dict[str, object],
) -> None:
    """Tag a manifest whose blobs are already uploaded."""
    http.put(
        f"{base_url}/v2/{repository}/manifests/{tag}",
        content=json.dumps(manifest).encode(),
        headers={"Content-Type": str(manifest["mediaType"])},
    ).raise_for_status()
