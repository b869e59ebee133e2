from __future__ import annotations

import tomllib

import pytest

from mirrorstack.errors import SettingsError
from mirrorstack.settings import PROFILE_VARIABLE, Project, load
from tests.unit.kit_copy import REPOSITORY_ROOT, copy_kit


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv(PROFILE_VARIABLE, raising=False)
    return Project(copy_kit(tmp_path))


def test_default_profile_pulls_from_docker_hub(project):
    configuration = load(project)

    assert configuration.profile == "hub"
    assert configuration.settings.mirror.upstream_url == "https://registry-1.docker.io"
    assert configuration.images.registry.startswith("registry:3.")


def test_offline_profile_uses_stand_ins_and_a_local_upstream(project):
    configuration = load(project, "offline")

    assert configuration.settings.upstream.enabled
    assert configuration.settings.mirror.upstream_url == "http://upstream:5000"
    assert configuration.images.registry.startswith("mirrorstack/registry:3.")
    assert not configuration.settings.grafana.enabled


def test_environment_chooses_the_profile(project, monkeypatch):
    monkeypatch.setenv(PROFILE_VARIABLE, "offline")

    configuration = load(project)

    assert configuration.profile == "offline"


def test_rendered_profile_is_remembered(project):
    project.rendered_profile_file.parent.mkdir(parents=True)
    project.rendered_profile_file.write_text("offline\n")

    configuration = load(project)

    assert configuration.profile == "offline"


def test_a_bad_port_names_the_file_and_the_key(project):
    text = project.settings_file.read_text().replace("port = 5000", "port = 70000")
    project.settings_file.write_text(text)

    with pytest.raises(SettingsError) as raised:
        load(project)

    assert str(project.settings_file) in str(raised.value)
    assert "'mirror.port'" in str(raised.value)


def test_a_misspelt_key_is_named_before_the_missing_one(project):
    text = project.settings_file.read_text().replace("port = 5000", "prot = 5000")
    project.settings_file.write_text(text)

    with pytest.raises(SettingsError) as raised:
        load(project)

    message = str(raised.value)
    assert "'mirror.prot' is not a setting" in message
    assert message.index("mirror.prot") < message.index("'mirror.port'")


def test_two_services_on_one_port_are_refused_naming_both_keys(project):
    text = project.settings_file.read_text().replace("port = 5002", "port = 5000")
    project.settings_file.write_text(text)

    with pytest.raises(
        SettingsError, match=r"push_registry\.port = 5000 is also mirror\.port"
    ):
        load(project)


def test_invalid_toml_is_reported_with_its_file(project):
    project.settings_file.write_text("[stack\n")

    with pytest.raises(SettingsError, match="is not valid TOML"):
        load(project)


def test_an_unknown_profile_lists_the_known_ones(project):
    with pytest.raises(SettingsError, match="choose one of: hub, offline"):
        load(project, "nosuch")


@pytest.mark.parametrize("image_set", ["hub", "offline"])
def test_no_image_is_latest_or_untagged(image_set):
    with (REPOSITORY_ROOT / "config" / "images.toml").open("rb") as handle:
        images = tomllib.load(handle)[image_set]

    for service, image in images.items():
        name, _, tag = image.rpartition(":")
        assert name, f"{service}: {image} has no tag"
        assert "/" not in tag, f"{service}: {image} has no tag"
        assert tag != "latest", f"{service}: {image} is not pinned"
