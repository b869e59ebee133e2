"""Images of random content and known size, pushed into the local upstream.

Every image is new bytes, so new digests: the mirror and the front have never seen
it, which makes each measurement a cold one without restarting anything. The
layers are uncompressed tar files holding one file of random bytes each.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tarfile
from dataclasses import dataclass

import httpx

from bench.errors import BenchError

log = logging.getLogger(__name__)

REPOSITORY = "bench/random"
LAYERS = 3
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar"


@dataclass(frozen=True)
class Image:
    """An image in the upstream: where it is, and the size of each blob."""

    repository: str
    tag: str
    blob_sizes: tuple[int, ...]

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def size(self) -> int:
        """Bytes of every blob a pull fetches: the layers and the config."""
        return sum(self.blob_sizes)


def push_random_image(
    upstream_url: str, tag: str, total_bytes: int, layers: int = LAYERS
) -> Image:
    """Push an image of about total_bytes, split over layers, under REPOSITORY:tag."""
    payloads = [os.urandom(total_bytes // layers) for _ in range(layers)]
    tars = [_single_file_tar(payload) for payload in payloads]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [_digest(t) for t in tars]},
        }
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {
            "mediaType": CONFIG_TYPE,
            "digest": _digest(config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": LAYER_TYPE, "digest": _digest(t), "size": len(t)}
            for t in tars
        ],
    }
    with httpx.Client(base_url=upstream_url, timeout=120) as http:
        for blob in (*tars, config):
            _upload_blob(http, REPOSITORY, blob)
        response = http.put(
            f"/v2/{REPOSITORY}/manifests/{tag}",
            content=json.dumps(manifest).encode(),
            headers={"Content-Type": MANIFEST_TYPE},
        )
        _raise_for(response, "pushing the manifest")
    image = Image(REPOSITORY, tag, (*(len(t) for t in tars), len(config)))
    log.info("pushed %s (%d bytes) to %s", image.reference, image.size, upstream_url)
    return image


def _single_file_tar(payload: bytes) -> bytes:
    output = io.BytesIO()
    with tarfile.open(fileobj=output, mode="w") as archive:
        entry = tarfile.TarInfo("random.bin")
        entry.size = len(payload)
        archive.addfile(entry, io.BytesIO(payload))
    return output.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _upload_blob(http: httpx.Client, repository: str, data: bytes) -> None:
    started = http.post(f"/v2/{repository}/blobs/uploads/")
    _raise_for(started, "starting a blob upload")
    upload = http.base_url.join(started.headers["location"])
    finished = http.put(
        upload.copy_merge_params({"digest": _digest(data)}),
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    _raise_for(finished, "uploading a blob")


def _raise_for(response: httpx.Response, step: str) -> None:
    if response.is_success:
        return
    raise BenchError(
        f"{step} to the local upstream failed: {response.request.method} "
        f"{response.request.url} answered {response.status_code} "
        f"({response.text[:200]}). Check `docker compose logs upstream`."
    )
