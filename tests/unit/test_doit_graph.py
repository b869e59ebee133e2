from __future__ import annotations

import json

import pytest

from tests.unit.doit_runner import run_doit
from tests.unit.kit_copy import copy_kit

EVERYTHING = ("env", "certs", "render")


@pytest.fixture
def kit(tmp_path):
    root = copy_kit(tmp_path)
    run_doit(root, *EVERYTHING)
    return root


def test_second_run_executes_nothing(kit):
    executed = run_doit(kit, *EVERYTHING)

    assert executed == []


def test_new_registry_host_reissues_only_the_leaves_and_marks_the_registries(kit):
    ca_before = (kit / "certs" / "ca.pem").read_bytes()
    intermediate_before = (kit / "certs" / "intermediate-ca.pem").read_bytes()
    request = json.loads((kit / "cfssl" / "registry.json").read_text())
    request["hosts"].append("mirror.lab.example")
    (kit / "cfssl" / "registry.json").write_text(json.dumps(request))

    executed = run_doit(kit, *EVERYTHING)

    assert sorted(executed) == [
        "certs:registry-chain.pem",
        "certs:registry-peer.pem",
        "certs:registry.pem",
        "render:compose.yaml",
    ]
    assert (kit / "certs" / "ca.pem").read_bytes() == ca_before
    assert (kit / "certs" / "intermediate-ca.pem").read_bytes() == intermediate_before


def test_certificates_inside_the_renewal_window_are_reissued(kit):
    settings = kit / "config" / "settings.toml"
    # Longer than a leaf's year, shorter than the CAs' lifetimes.
    settings.write_text(
        settings.read_text().replace("renewal_days = 30", "renewal_days = 400")
    )

    executed = run_doit(kit, "certs")

    assert "certs:registry.pem" in executed
    assert "certs:client.pem" in executed
    assert "certs:ca.pem" not in executed


def test_a_changed_port_rerenders_only_the_files_that_use_it(kit):
    settings = kit / "config" / "settings.toml"
    settings.write_text(settings.read_text().replace("port = 9090", "port = 9191"))

    executed = run_doit(kit, *EVERYTHING)

    assert executed == ["render:compose.yaml"]


def test_switching_profile_rerenders_and_records_it(kit):
    executed = run_doit(kit, *EVERYTHING, profile="offline")

    assert "render:compose.yaml" in executed
    assert "render:registry/mirror-config.yml" in executed
    assert (kit / "build" / "profile").read_text().strip() == "offline"


def test_bad_certificate_input_fails_and_leaves_certificates_untouched(kit):
    before = {path.name: path.read_bytes() for path in (kit / "certs").iterdir()}
    request = json.loads((kit / "cfssl" / "registry.json").read_text())
    request["hosts"].append("10.0.0.300")
    (kit / "cfssl" / "registry.json").write_text(json.dumps(request))

    with pytest.raises(AssertionError, match=r"registry\.json"):
        run_doit(kit, "certs")

    after = {path.name: path.read_bytes() for path in (kit / "certs").iterdir()}
    assert after == before
