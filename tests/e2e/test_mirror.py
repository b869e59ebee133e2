"""The mirror end to end: TLS, pulls through the daemon, the cache, pushes, metrics."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from pathlib import Path

import docker
import httpx
import pytest

from mirrorstack import daemon
from mirrorstack.docker_checks import push_to_registries
from mirrorstack.http import kit_client, kit_ssl_context
from mirrorstack.prometheus_api import query
from mirrorstack.registry_api import RegistryClient
from mirrorstack.tls_probe import probe, refuses_tls_1_1
from tests.e2e.conftest import PROMETHEUS_DATA

pytestmark = pytest.mark.e2e

SAMPLE = "busybox"
SAMPLE_TAG = "1.35.0"


def mirror_address(configuration):
    mirror = configuration.settings.mirror
    return mirror.hostname, mirror.port


def openssl_s_client(address, *options):
    return subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            address,
            "-servername",
            "localhost",
            *options,
        ],
        input="",
        capture_output=True,
        text=True,
        errors="replace",
        timeout=30,
        check=False,
    )


def wait_for_query(configuration, expression, timeout=90):
    """Query Prometheus until a series is above zero, or the timeout passes."""
    deadline = time.monotonic() + timeout
    result = []
    while time.monotonic() < deadline:
        result = query(configuration.settings, expression)
        if any(sample.value > 0 for sample in result):
            return result
        time.sleep(3)
    return result


def test_mirror_chain_verifies_against_the_kit_root_alone(
    project, configuration, running_stack
):
    host, port = mirror_address(configuration)

    with httpx.Client(verify=kit_ssl_context(project)) as client:
        response = client.get(f"https://{host}:{port}/v2/")

    assert response.status_code == 200
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"


def test_openssl_sees_leaf_and_intermediate_and_verifies(
    project, configuration, running_stack
):
    host, port = mirror_address(configuration)

    result = openssl_s_client(
        f"{host}:{port}", "-showcerts", "-CAfile", str(project.certs_dir / "ca.pem")
    )

    assert result.stdout.count("-----BEGIN CERTIFICATE-----") == 2
    assert "Verify return code: 0 (ok)" in result.stdout


def test_mirror_refuses_tls_1_1(configuration, running_stack):
    host, port = mirror_address(configuration)

    refused = refuses_tls_1_1(host, port)

    assert refused


def test_handshake_report_names_protocol_and_sans(
    project, configuration, running_stack
):
    host, port = mirror_address(configuration)

    report = probe(project, host, port)

    assert report.protocol in ("TLSv1.2", "TLSv1.3")
    assert "localhost" in report.names


def test_daemon_pulls_short_name_through_mirror_and_image_runs(
    project, configuration, configured_daemon
):
    client = docker.from_env()
    image = f"{SAMPLE}:{SAMPLE_TAG}"
    _remove_local(client, image)

    client.images.pull(SAMPLE, tag=SAMPLE_TAG)
    marker = client.containers.run(
        image, ["cat", "/etc/mirrorstack-sample"], remove=True
    )

    assert marker.decode().strip() == image
    with kit_client(project) as http:
        catalog = RegistryClient(configured_daemon, http).catalog()
    assert f"library/{SAMPLE}" in catalog


def test_mirror_serves_cached_tag_when_upstream_is_down(
    project, configuration, configured_daemon, running_stack
):
    client = docker.from_env()
    image = f"{SAMPLE}:{SAMPLE_TAG}"
    client.images.pull(SAMPLE, tag=SAMPLE_TAG)
    _remove_local(client, image)
    _compose(configuration, "stop", "upstream")

    try:
        client.images.pull(SAMPLE, tag=SAMPLE_TAG)
        marker = client.containers.run(
            image, ["cat", "/etc/mirrorstack-sample"], remove=True
        )
    finally:
        _compose(configuration, "start", "upstream")

    assert marker.decode().strip() == image


def test_push_registry_takes_pushes_and_mirror_refuses_them(
    configuration, running_stack
):
    report = push_to_registries(configuration, configuration.images.busybox)

    assert report.pushed.endswith(
        f":{configuration.settings.push_registry.port}/mirrorstack-test-push:latest"
    )
    assert report.mirror_refusal.startswith("HTTP 405")
    assert "UNSUPPORTED" in report.mirror_refusal


def test_prometheus_counts_mirror_requests_after_a_pull(
    configuration, configured_daemon
):
    docker.from_env().images.pull(SAMPLE, tag=SAMPLE_TAG)

    result = wait_for_query(
        configuration, 'sum(registry_http_requests_total{job="mirror"})'
    )

    assert result
    assert result[0].value > 0


def test_manifest_comes_back_with_a_docker_or_oci_media_type(
    project, configuration, configured_daemon
):
    with kit_client(project) as http:
        registry = RegistryClient(configured_daemon, http)
        manifest = registry.manifest(f"library/{SAMPLE}", SAMPLE_TAG)

    assert manifest.media_type in (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
    assert manifest.digest.startswith("sha256:")


def _remove_local(client, image):
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(image, force=True)


def _compose(configuration, *arguments):
    from mirrorstack import compose

    compose.run(configuration, *arguments, capture=True)


def test_prometheus_keeps_its_data_on_the_bind_mount(
    project, configuration, running_stack
):
    data = project.root / PROMETHEUS_DATA

    result = wait_for_query(configuration, 'up{job="prometheus"}')

    assert result
    assert (data / "wal").is_dir()


def test_daemon_files_are_where_the_daemons_mode_reads_them(
    configuration, configured_daemon
):
    mode = daemon.current_mode()
    paths = daemon.daemon_paths(mode, Path.home(), os.environ)
    mirror = configuration.settings.mirror

    mirrors = json.loads(paths.daemon_json.read_text())["registry-mirrors"]

    assert configured_daemon in mirrors
    assert (paths.certs_d / f"{mirror.hostname}:{mirror.port}" / "ca.crt").is_file()
    if os.environ.get("DOCKER_HOST", "").startswith("unix:///run/user/"):
        user_config = Path.home() / ".config" / "docker"
        assert mode is daemon.DaemonMode.ROOTLESS
        assert paths.daemon_json.is_relative_to(user_config)
        assert paths.certs_d.is_relative_to(user_config)
