"""The registry API client against the real push registry: pagination and manifests."""

from __future__ import annotations

import pytest

from mirrorstack.http import kit_client
from mirrorstack.registry_api import RegistryClient
from tests.e2e.registry_uploads import put_manifest, upload_blob

pytestmark = pytest.mark.e2e

REPOSITORIES = ("pagination/first", "pagination/second", "pagination/third")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def push_tiny_image(http, base_url, repository, tag):
    """Upload a config blob and an OCI manifest through the registry's HTTP API."""
    config = b"{}"
    digest = upload_blob(http, base_url, repository, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest,
            "size": len(config),
        },
        "layers": [],
    }
    put_manifest(http, base_url, repository, tag, manifest)


@pytest.fixture(scope="module")
def push_registry(project, configuration, running_stack):
    settings = configuration.settings
    base_url = f"https://{settings.mirror.hostname}:{settings.push_registry.port}"
    with kit_client(project) as http:
        for repository in REPOSITORIES:
            for tag in ("1", "2", "3"):
                push_tiny_image(http, base_url, repository, tag)
        yield RegistryClient(base_url, http)


def test_catalog_follows_pagination_one_repository_at_a_time(push_registry):
    repositories = push_registry.catalog(page_size=1)

    assert set(REPOSITORIES) <= set(repositories)
    assert repositories == push_registry.catalog(page_size=1000)


def test_tags_follow_pagination(push_registry):
    tags = push_registry.tags(REPOSITORIES[0], page_size=2)

    assert tags == ["1", "2", "3"]


def test_oci_manifest_keeps_its_media_type(push_registry):
    manifest = push_registry.manifest(REPOSITORIES[1], "2")

    assert manifest.media_type == OCI_MANIFEST
    assert manifest.body["schemaVersion"] == 2
