"""The TLS front: herd-safe cold pulls, and the registry's metrics over mutual TLS."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import ssl
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mirrorstack import compose
from mirrorstack.http import kit_ssl_context
from tests.e2e.registry_uploads import put_manifest, upload_blob
from tests.e2e.test_mirror import wait_for_query

pytestmark = pytest.mark.e2e

HERD = 8
LAYER_BYTES = 24 * 1024 * 1024


def random_layer():
    payload = os.urandom(LAYER_BYTES)
    output = io.BytesIO()
    with tarfile.open(fileobj=output, mode="w") as archive:
        entry = tarfile.TarInfo("random.bin")
        entry.size = len(payload)
        archive.addfile(entry, io.BytesIO(payload))
    return output.getvalue()


@pytest.fixture(scope="module")
def cold_image(configuration, running_stack):
    """An image only the upstream holds: a random layer the mirror has never seen."""
    base_url = f"http://127.0.0.1:{configuration.settings.upstream.port}"
    repository = "library/herd"
    layer = random_layer()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {
                "type": "layers",
                "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()],
            },
        }
    ).encode()
    with httpx.Client(timeout=60) as http:
        layer_digest = upload_blob(http, base_url, repository, layer)
        config_digest = upload_blob(http, base_url, repository, config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                    "digest": layer_digest,
                    "size": len(layer),
                }
            ],
        }
        put_manifest(http, base_url, repository, "1", manifest)
    return repository, layer_digest, config_digest


def upstream_blob_gets(configuration):
    """GETs of blobs the upstream has answered, read from its own metrics."""
    result = compose.run(
        configuration,
        "exec",
        "-T",
        "upstream",
        "wget",
        "-q",
        "-O",
        "-",
        "http://localhost:5001/metrics",
        capture=True,
    )
    total = 0.0
    for line in result.stdout.splitlines():
        if (
            line.startswith("registry_http_requests_total{")
            and 'handler="blob"' in line
            # Prometheus's Go client writes the method in lower case.
            and 'method="get"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def trust_dir(project, parent):
    """A folder skopeo reads the kit's CA from (--src-cert-dir)."""
    certs = parent / "certs.d"
    certs.mkdir(exist_ok=True)
    (certs / "ca.crt").write_bytes((project.certs_dir / "ca.pem").read_bytes())
    return certs


def skopeo_pull(configuration, certs, repository, destination):
    mirror = configuration.settings.mirror
    return subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-cert-dir",
            str(certs),
            f"docker://{mirror.hostname}:{mirror.port}/{repository}:1",
            f"dir:{destination}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_concurrent_cold_pulls_fetch_each_blob_from_upstream_once(
    project, configuration, cold_image, tmp_path
):
    repository, layer_digest, _ = cold_image
    certs = trust_dir(project, tmp_path)
    before = upstream_blob_gets(configuration)
    mirror = configuration.settings.mirror
    layer_url = (
        f"https://{mirror.hostname}:{mirror.port}/v2/{repository}/blobs/{layer_digest}"
    )

    with ThreadPoolExecutor(max_workers=HERD + 2) as pool:
        pulls = [
            pool.submit(
                skopeo_pull, configuration, certs, repository, tmp_path / f"pull{i}"
            )
            for i in range(HERD)
        ]
        heads = [
            pool.submit(
                httpx.head, layer_url, verify=kit_ssl_context(project), timeout=300
            )
            for _ in range(2)
        ]
        results = [pull.result() for pull in pulls]
        head_codes = [head.result().status_code for head in heads]

    failures = [result.stderr for result in results if result.returncode != 0]
    assert failures == []
    assert head_codes == [200, 200]
    fetched = upstream_blob_gets(configuration) - before
    assert 1 <= fetched <= 2, f"{fetched} blob GETs reached the upstream for 2 blobs"


def test_access_log_tells_each_blob_request_hit_or_miss(
    project, configuration, cold_image, tmp_path
):
    repository, layer_digest, _ = cold_image
    certs = trust_dir(project, tmp_path)
    for name in ("first", "second"):
        skopeo_pull(configuration, certs, repository, tmp_path / name)

    result = compose.run(
        configuration, "logs", "--no-log-prefix", "front", capture=True
    )

    # compose 2.26 starts each line with a terminal code, even with --ansi never.
    entries = [
        json.loads(line[line.index("{") :])
        for line in result.stdout.splitlines()
        if "{" in line and layer_digest in line
    ]
    assert {"MISS", "HIT"} <= {entry["cache"] for entry in entries}
    assert all(entry["status"] == 200 for entry in entries)


def other_ca_client(tmp_path):
    """A client certificate and key from a CA that is not the kit's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not-the-kit")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "other.pem", tmp_path / "other-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def metrics_url(configuration):
    settings = configuration.settings
    return f"https://{settings.mirror.hostname}:{settings.front.metrics_port}/metrics"


def test_metrics_refuse_a_client_without_a_certificate(
    project, configuration, running_stack
):
    response = httpx.get(metrics_url(configuration), verify=kit_ssl_context(project))

    assert response.status_code == 400
    assert "No required SSL certificate" in response.text


def test_metrics_refuse_a_certificate_from_another_ca(
    project, configuration, running_stack, tmp_path
):
    context = kit_ssl_context(project)
    context.load_cert_chain(*other_ca_client(tmp_path))

    try:
        response = httpx.get(metrics_url(configuration), verify=context)
    except (httpx.ConnectError, ssl.SSLError):
        refused = True
    else:
        refused = response.status_code == 400

    assert refused


def test_metrics_serve_prometheus_text_to_the_kit_client(
    project, configuration, running_stack
):
    context = kit_ssl_context(project, client_certificate=True)

    response = httpx.get(metrics_url(configuration), verify=context)

    assert response.status_code == 200
    assert re.search(r"^registry_http_requests_total\{", response.text, re.MULTILINE)


def test_prometheus_scrapes_the_mirror_through_the_front(configuration, running_stack):
    samples = wait_for_query(configuration, 'up{job="mirror"}')

    assert samples
    assert samples[0].value == 1


def test_front_speaks_http2(configuration, running_stack):
    mirror = configuration.settings.mirror

    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{mirror.hostname}:{mirror.port}",
            "-alpn",
            "h2",
        ],
        input="",
        capture_output=True,
        text=True,
        errors="replace",
        timeout=30,
        check=False,
    )

    assert "ALPN protocol: h2" in result.stdout
