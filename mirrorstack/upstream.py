"""Seeding the local upstream, the registry that plays Docker Hub offline.

Each sample image is the busybox image's filesystem plus a marker file, imported
as a new single-layer image. Its layer is therefore one the local daemon does not
hold once the seed tag is removed, so a later `docker pull` really fetches it
through the mirror.
"""

from __future__ import annotations

import io
import logging
import tarfile

import docker
import httpx
from docker.errors import APIError

from mirrorstack.errors import StackError
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)

# Every sample image carries this label, so they can be found and removed.
SAMPLE_LABEL = "io.mirrorstack.sample"


def seed(configuration: Configuration) -> list[str]:
    """Push each configured sample image into the upstream; return those pushed."""
    settings = configuration.settings
    address = f"127.0.0.1:{settings.upstream.port}"
    pushed = []
    for image in settings.upstream.seed:
        name, tag = image.split(":", 1) if ":" in image else (image, "latest")
        if _has_tag(address, f"library/{name}", tag):
            log.info("upstream already holds library/%s:%s", name, tag)
            continue
        _push_sample(configuration, address, name, tag)
        pushed.append(f"library/{name}:{tag}")
    return pushed


def _has_tag(address: str, repository: str, tag: str) -> bool:
    response = httpx.head(
        f"http://{address}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=10,
    )
    return response.status_code == httpx.codes.OK


def _push_sample(
    configuration: Configuration, address: str, name: str, tag: str
) -> None:
    client = docker.from_env()
    repository = f"{address}/library/{name}"
    root_filesystem = _sample_filesystem(
        client, configuration.images.busybox, name, tag
    )
    client.api.import_image_from_data(
        root_filesystem,
        repository=repository,
        tag=tag,
        changes=['CMD ["sh"]', f"LABEL {SAMPLE_LABEL}=true"],
    )
    try:
        for line in client.images.push(repository, tag, stream=True, decode=True):
            if "error" in line:
                raise StackError(
                    f"pushing {repository}:{tag} to the upstream failed: "
                    f"{line['error']}. Check `invoke logs --service upstream`."
                )
    finally:
        client.images.remove(f"{repository}:{tag}")
    log.info("seeded upstream with library/%s:%s", name, tag)


def _sample_filesystem(
    client: docker.DockerClient, image: str, name: str, tag: str
) -> bytes:
    try:
        container = client.containers.create(image)
    except APIError as error:
        raise StackError(
            f"cannot use {image} to make sample images ({error.explanation}). "
            "Build the stand-in images with `ci/build-images.sh`."
        ) from None
    try:
        exported = b"".join(container.export())  # type: ignore[arg-type]
    finally:
        container.remove()
    return _with_marker(exported, f"{name}:{tag}\n".encode())


def _with_marker(exported: bytes, marker: bytes) -> bytes:
    output = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(exported)) as source,
        tarfile.open(fileobj=output, mode="w") as target,
    ):
        for member in source.getmembers():
            target.addfile(
                member, source.extractfile(member) if member.isfile() else None
            )
        entry = tarfile.TarInfo("etc/mirrorstack-sample")
        entry.size = len(marker)
        entry.mode = 0o644
        target.addfile(entry, io.BytesIO(marker))
    return output.getvalue()
