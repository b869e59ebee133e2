"""The invoke commands as a user runs them: listed with help, and clear on bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mirrorstack.settings import PROFILE_VARIABLE
from tests.unit.kit_copy import copy_kit

SPEC_COMMANDS = (
    "quickstart",
    "certs",
    "certs-ca",
    "certs-intermediate",
    "certs-registry",
    "verify-certs",
    "test-tls",
    "up",
    "down",
    "restart",
    "status",
    "logs",
    "clean",
    "configure-docker-tls",
    "configure-mirror",
    "trust-cert",
    "list-repos",
    "list-tags",
    "get-manifest",
    "gc",
    "health",
    "metrics",
    "prometheus-targets",
    "verify-prometheus-certs",
    "test-pull",
    "test-push",
    "alloy-install",
    "alloy-start",
    "alloy-stop",
    "alloy-status",
    "alloy-logs",
)


def invoke(root, *arguments):
    environment = {
        key: value for key, value in os.environ.items() if key != PROFILE_VARIABLE
    }
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(root), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def kit(tmp_path):
    return copy_kit(tmp_path)


def test_every_spec_command_is_listed_with_one_line_help(kit):
    result = invoke(kit, "--list")

    listed = {
        line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()
    }
    for command in SPEC_COMMANDS:
        assert command in listed, command
        assert len(listed[command].split(None, 1)) == 2, f"{command} has no help"


def test_a_bad_setting_is_one_sentence_naming_file_and_key(kit):
    settings = kit / "config" / "settings.toml"
    settings.write_text(
        settings.read_text().replace('cache_ttl = "168h"', 'cache_ttl = "a week"')
    )

    result = invoke(kit, "render")

    assert result.returncode == 1
    assert "settings.toml" in result.stderr + result.stdout
    assert "mirror.cache_ttl" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_certs_twice_issues_once(kit):
    first = invoke(kit, "certs")
    second = invoke(kit, "certs")

    assert first.returncode == 0, first.stderr
    assert ".  certs:ca.pem" in first.stdout
    assert second.returncode == 0
    assert ".  certs:" not in second.stdout


def test_verify_certs_reports_a_loosened_key_mode(kit):
    invoke(kit, "certs")
    (kit / "certs" / "registry-key.pem").chmod(0o644)

    result = invoke(kit, "verify-certs")

    assert result.returncode == 1
    assert "registry-key.pem" in result.stdout


def test_clean_without_yes_and_without_a_terminal_deletes_nothing(kit):
    invoke(kit, "render")

    result = invoke(kit, "clean")

    assert result.returncode == 1
    assert "invoke clean --yes" in result.stderr


def test_verify_prometheus_certs_judges_only_the_client_chain(kit):
    invoke(kit, "certs")
    (kit / "certs" / "registry-key.pem").chmod(0o644)
    passing = invoke(kit, "verify-prometheus-certs")
    (kit / "certs" / "client-key.pem").chmod(0o644)

    failing = invoke(kit, "verify-prometheus-certs")

    assert passing.returncode == 0
    assert failing.returncode == 1
    assert "client-key.pem" in failing.stdout
