from __future__ import annotations

import stat

import pytest

from mirrorstack.errors import SettingsError
from mirrorstack.secrets import ensure_env_file, read_env_file, write_service_env_files
from mirrorstack.settings import Project


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)


def test_first_run_creates_env_with_a_generated_password_and_mode_0600(project):
    created = ensure_env_file(project)

    values = read_env_file(project)
    assert created
    assert stat.S_IMODE(project.env_file.stat().st_mode) == 0o600
    assert len(values["GRAFANA_ADMIN_PASSWORD"]) >= 24
    assert values["GRAFANA_ADMIN_PASSWORD"] != "admin"


def test_an_existing_env_is_never_overwritten(project):
    project.env_file.write_text("GRAFANA_ADMIN_PASSWORD=mine-and-long-enough\n")
    project.env_file.chmod(0o600)

    created = ensure_env_file(project)

    assert not created
    assert read_env_file(project)["GRAFANA_ADMIN_PASSWORD"] == "mine-and-long-enough"


def test_an_env_readable_by_others_is_refused(project):
    ensure_env_file(project)
    project.env_file.chmod(0o644)

    with pytest.raises(SettingsError, match="chmod 600"):
        read_env_file(project)


def test_admin_admin_is_refused(project):
    project.env_file.write_text(
        "GRAFANA_ADMIN_USER=admin\nGRAFANA_ADMIN_PASSWORD=admin\n"
    )
    project.env_file.chmod(0o600)

    with pytest.raises(SettingsError, match="GRAFANA_ADMIN_PASSWORD"):
        read_env_file(project)


def test_an_unknown_key_is_named(project):
    project.env_file.write_text("GRAFANA_ADMIN_PASSWORD=long-enough-value\nTYPO=1\n")
    project.env_file.chmod(0o600)

    with pytest.raises(SettingsError, match="'TYPO'"):
        read_env_file(project)


def test_registry_env_holds_only_the_docker_hub_credentials(project):
    project.env_file.write_text(
        "REGISTRY_PROXY_USERNAME=me\nREGISTRY_PROXY_PASSWORD=token\n"
        "GRAFANA_ADMIN_PASSWORD=grafana-secret-value\n"
    )
    project.env_file.chmod(0o600)

    mirror_env, grafana_env = write_service_env_files(project)

    assert (
        mirror_env.read_text()
        == "REGISTRY_PROXY_USERNAME=me\nREGISTRY_PROXY_PASSWORD=token\n"
    )
    assert "grafana-secret-value" in grafana_env.read_text()
    assert stat.S_IMODE(mirror_env.stat().st_mode) == 0o600
    assert stat.S_IMODE(grafana_env.stat().st_mode) == 0o600
