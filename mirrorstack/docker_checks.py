"""Pulls and pushes through the local Docker daemon, as a user would make them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import docker
from docker.errors import APIError, DockerException

from mirrorstack.errors import StackError
from mirrorstack.http import kit_client
from mirrorstack.registry_api import RegistryClient, refuses_push, repository_name
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)

PUSH_TEST_REPOSITORY = "mirrorstack-test-push"


@dataclass(frozen=True)
class PushReport:
    """Where a push went, and what the mirror said to one."""

    pushed: str
    mirror_refusal: str


def mirror_url(configuration: Configuration) -> str:
    mirror = configuration.settings.mirror
    return f"https://{mirror.hostname}:{mirror.port}"


def push_registry_address(configuration: Configuration) -> str:
    settings = configuration.settings
    return f"{settings.mirror.hostname}:{settings.push_registry.port}"


def pull_through_mirror(configuration: Configuration, image: str) -> list[str]:
    """Pull a Docker Hub image by its short name; return the mirror's catalog after."""
    name, tag = image.split(":", 1) if ":" in image else (image, "latest")
    client = docker.from_env()
    try:
        client.images.pull(name, tag=tag)
    except DockerException as error:
        raise StackError(
            f"`docker pull {name}:{tag}` failed: {error}. Check that "
            "`invoke configure-mirror` ran and `docker info` lists the mirror."
        ) from None
    with kit_client(configuration.project) as http:
        catalog = RegistryClient(mirror_url(configuration), http).catalog()
    repository = repository_name(name)
    if repository not in catalog:
        raise StackError(
            f"{name}:{tag} was pulled, but not through the mirror: its catalog lacks "
            f"{repository}. Run `invoke configure-mirror` and check `docker info`."
        )
    return catalog


def push_to_registries(configuration: Configuration, source_image: str) -> PushReport:
    """Push an image to the push registry, and show that the mirror refuses one."""
    client = docker.from_env()
    pushed = _push(client, source_image, push_registry_address(configuration))
    with kit_client(configuration.project) as http:
        refusal = refuses_push(mirror_url(configuration), http, PUSH_TEST_REPOSITORY)
    return PushReport(pushed=pushed, mirror_refusal=refusal)


def _push(client: docker.DockerClient, source_image: str, address: str) -> str:
    repository = f"{address}/{PUSH_TEST_REPOSITORY}"
    try:
        image = client.images.get(source_image)
    except DockerException as error:
        raise StackError(f"no local image {source_image} to push: {error}.") from None
    image.tag(repository, tag="latest")
    try:
        for line in client.images.push(repository, "latest", stream=True, decode=True):
            if "error" in line:
                raise StackError(f"push to {address} refused: {line['error']}")
    except APIError as error:
        raise StackError(f"push to {address} refused: {error.explanation}") from None
    finally:
        client.images.remove(f"{repository}:latest")
    log.info("pushed %s to %s", source_image, repository)
    return f"{repository}:latest"
