"""The rendered compose model, read back through `docker compose config` (no engine)."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.unit.doit_runner import run_doit
from tests.unit.kit_copy import copy_kit

INIT_SERVICES = {"prometheus-init", "loki-init"}


def compose_model(root):
    result = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            str(root / "build" / "compose.yaml"),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module", params=["hub", "offline"])
def rendered(request, tmp_path_factory):
    root = copy_kit(tmp_path_factory.mktemp(request.param))
    run_doit(root, "env", "certs", "render", profile=request.param)
    return request.param, root, compose_model(root)


def test_every_long_running_service_has_a_healthcheck(rendered):
    _, _, model = rendered

    for name, service in model["services"].items():
        if name not in INIT_SERVICES:
            assert service.get("healthcheck", {}).get("test"), name


def test_every_published_port_listens_on_loopback(rendered):
    _, _, model = rendered

    for name, service in model["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name


def test_registry_debug_port_is_never_published(rendered):
    _, _, model = rendered

    for name in ("mirror", "push-registry"):
        targets = [port["target"] for port in model["services"][name].get("ports", [])]
        assert 5001 not in targets


def test_dependencies_wait_for_health_or_completion(rendered):
    _, _, model = rendered

    for name, service in model["services"].items():
        for dependency, condition in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully"
                if dependency in INIT_SERVICES
                else "service_healthy"
            )
            assert condition["condition"] == expected, f"{name} -> {dependency}"


def test_offline_profile_runs_the_local_upstream_and_no_grafana(rendered):
    profile, _, model = rendered

    services = set(model["services"])

    if profile == "offline":
        assert "upstream" in services
        assert {"grafana", "loki", "alloy"}.isdisjoint(services)
    else:
        assert "upstream" not in services
        assert {"grafana", "loki", "alloy", "loki-init"} <= services


def test_mirror_config_proxies_the_profiles_upstream_with_tls(rendered):
    profile, root, _ = rendered

    config = yaml.safe_load(
        (root / "build" / "registry" / "mirror-config.yml").read_text()
    )

    expected = (
        "http://upstream:5000"
        if profile == "offline"
        else "https://registry-1.docker.io"
    )
    assert config["proxy"]["remoteurl"] == expected
    # The front terminates TLS; the registry behind it speaks plain HTTP.
    assert "tls" not in config["http"]
    assert config["storage"]["delete"]["enabled"] is True
    assert config["log"]["formatter"] == "json"


def test_push_registry_config_has_no_proxy(rendered):
    _, root, _ = rendered

    config = yaml.safe_load(
        (root / "build" / "registry" / "push-registry-config.yml").read_text()
    )

    assert "proxy" not in config


def test_images_come_from_the_pin_file(rendered):
    profile, root, model = rendered
    pins = __import__("tomllib").loads((root / "config" / "images.toml").read_text())[
        profile
    ]

    assert model["services"]["mirror"]["image"] == pins["registry"]
    assert model["services"]["prometheus"]["image"] == pins["prometheus"]


def prometheus_jobs(root):
    config = yaml.safe_load(
        (root / "build" / "prometheus" / "prometheus.yml").read_text()
    )
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_prometheus_scrapes_the_mirror_through_the_front_with_a_client_cert(rendered):
    _, root, _ = rendered

    jobs = prometheus_jobs(root)

    assert jobs["mirror"]["static_configs"][0]["targets"] == ["front:9443"]
    assert jobs["mirror"]["scheme"] == "https"
    assert jobs["mirror"]["tls_config"]["cert_file"] == "/client-certs/client.pem"
    assert {"prometheus", "mirror", "push-registry", "jaeger"} <= set(jobs)


def test_the_front_serves_tls_1_2_and_up_with_the_chain(rendered):
    _, root, _ = rendered

    front = (root / "build" / "front" / "nginx.conf").read_text()

    assert "ssl_protocols TLSv1.2 TLSv1.3;" in front
    assert "ssl_certificate /certs/registry-chain.pem;" in front
    assert "proxy_cache_lock on;" in front
    assert "aio threads;" in front


def test_the_front_publishes_the_mirror_port_and_the_registry_does_not(rendered):
    _, _, model = rendered

    front = model["services"]["front"]
    published = {port["target"]: port["published"] for port in front["ports"]}

    assert published == {5000: "5000", 9443: "5443"}
    assert "ports" not in model["services"]["mirror"]
    assert front["depends_on"]["mirror"]["condition"] == "service_healthy"


def test_without_the_front_the_registry_serves_the_mirror_port(tmp_path):
    root = copy_kit(tmp_path)
    settings = root / "config" / "settings.toml"
    before, front = settings.read_text().split("[front]\n", 1)
    front = front.replace("enabled = true", "enabled = false", 1)
    settings.write_text(f"{before}[front]\n{front}")

    run_doit(root, "env", "certs", "render")
    model = compose_model(root)

    assert "front" not in model["services"]
    registry = yaml.safe_load(
        (root / "build" / "registry" / "mirror-config.yml").read_text()
    )
    assert registry["http"]["tls"]["minimumtls"] == "tls1.2"
    assert registry["http"]["tls"]["certificate"] == "/certs/registry-chain.pem"
    assert [port["target"] for port in model["services"]["mirror"]["ports"]] == [5000]
    mirror_job = prometheus_jobs(root)["mirror"]
    assert mirror_job["static_configs"][0]["targets"] == ["mirror:5001"]


def test_prometheus_data_on_a_bind_mount_is_owned_by_its_init_container(tmp_path):
    root = copy_kit(tmp_path)
    settings = root / "config" / "settings.toml"
    settings.write_text(
        settings.read_text().replace('data_path = ""', 'data_path = "data/prometheus"')
    )

    run_doit(root, "env", "certs", "render")
    model = compose_model(root)

    expected = str(root / "data" / "prometheus")
    for name in ("prometheus", "prometheus-init"):
        mounts = {m["target"]: m for m in model["services"][name]["volumes"]}
        assert mounts["/prometheus"]["type"] == "bind"
        assert mounts["/prometheus"]["source"] == expected
    assert (
        "chown -R 65534:65534 /prometheus"
        in model["services"]["prometheus-init"]["command"][2]
    )
    assert "prometheus-data" not in model.get("volumes", {})


def test_reissued_certificate_changes_only_the_registries_inputs_label(tmp_path):
    root = copy_kit(tmp_path)
    run_doit(root, "env", "certs", "render")
    before = compose_model(root)["services"]
    request = root / "cfssl" / "registry.json"
    request.write_text(
        request.read_text().replace('"localhost",', '"localhost", "lab",')
    )

    run_doit(root, "env", "certs", "render")
    after = compose_model(root)["services"]

    def label(services, name):
        return services[name]["labels"]["io.mirrorstack.inputs"]

    assert label(after, "mirror") != label(before, "mirror")
    assert label(after, "push-registry") != label(before, "push-registry")
    assert label(after, "prometheus") == label(before, "prometheus")
