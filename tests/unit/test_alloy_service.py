"""Alloy as a systemd user service: its paths, socket, rendered files and install."""

from __future__ import annotations

import os
import shlex
import stat

import pytest

from mirrorstack import alloy_service
from mirrorstack.errors import MirrorstackError, StackError
from mirrorstack.settings import Project, load
from tests.unit.kit_copy import copy_kit

UID = 4242


@pytest.fixture
def configuration(tmp_path):
    return load(Project(copy_kit(tmp_path / "kit")), "hub")


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def alloy_binary(tmp_path):
    """A stand-in alloy executable in a folder of its own, for PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    binary = bin_dir / "alloy"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    return binary


@pytest.fixture
def environ(tmp_path, alloy_binary):
    """A user environment with XDG folders and only the stand-in alloy on PATH."""
    return {
        "PATH": str(alloy_binary.parent),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
    }


def exec_start(unit_text):
    """The ExecStart argument list, with systemd's line continuations joined."""
    joined = unit_text.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_socket_url_defaults_to_the_uid_runtime_dir():
    url = alloy_service.docker_socket_url({}, UID)

    assert url == f"unix:///run/user/{UID}/docker.sock"


def test_socket_url_follows_xdg_runtime_dir():
    environ = {"XDG_RUNTIME_DIR": "/run/user/elsewhere"}

    url = alloy_service.docker_socket_url(environ, UID)

    assert url == "unix:///run/user/elsewhere/docker.sock"


def test_socket_url_takes_a_unix_docker_host_first():
    environ = {
        "DOCKER_HOST": "unix:///tmp/rootless/docker.sock",
        "XDG_RUNTIME_DIR": "/run/user/elsewhere",
    }

    url = alloy_service.docker_socket_url(environ, UID)

    assert url == "unix:///tmp/rootless/docker.sock"


def test_socket_url_ignores_a_tcp_docker_host():
    environ = {"DOCKER_HOST": "tcp://127.0.0.1:2375"}

    url = alloy_service.docker_socket_url(environ, UID)

    assert url == f"unix:///run/user/{UID}/docker.sock"


def test_paths_default_to_dot_config_and_dot_local_share(home):
    paths = alloy_service.alloy_paths(home, {})

    assert paths.unit == home / ".config/systemd/user/mirrorstack-alloy.service"
    assert paths.config == home / ".config/mirrorstack/alloy/config.alloy"
    assert paths.storage == home / ".local/share/mirrorstack/alloy"


def test_paths_follow_xdg_config_and_data_homes(home, environ):
    paths = alloy_service.alloy_paths(home, environ)

    assert paths.unit.is_relative_to(environ["XDG_CONFIG_HOME"])
    assert paths.config.is_relative_to(environ["XDG_CONFIG_HOME"])
    assert paths.storage.is_relative_to(environ["XDG_DATA_HOME"])


def test_unit_runs_alloy_on_loopback_with_persistent_storage_and_the_config(
    configuration, home, environ, alloy_binary
):
    paths = alloy_service.alloy_paths(home, environ)
    port = configuration.settings.alloy.port

    files = alloy_service.render_files(configuration, home, environ, UID)

    assert exec_start(files[paths.unit]) == [
        str(alloy_binary),
        "run",
        f"--server.http.listen-addr=127.0.0.1:{port}",
        f"--storage.path={environ['XDG_DATA_HOME']}/mirrorstack/alloy",
        str(paths.config),
    ]


def test_unit_restarts_on_failure_and_starts_with_the_user_session(
    configuration, home, environ
):
    paths = alloy_service.alloy_paths(home, environ)

    unit = alloy_service.render_files(configuration, home, environ, UID)[paths.unit]

    assert [line for line in unit.splitlines() if line.startswith("[")] == [
        "[Unit]",
        "[Service]",
        "[Install]",
    ]
    assert "Restart=on-failure" in unit.splitlines()
    assert "WantedBy=default.target" in unit.splitlines()


def test_unit_quotes_a_storage_path_with_a_space(configuration, home, environ):
    environ = {**environ, "XDG_DATA_HOME": f"{environ['XDG_DATA_HOME']} two"}
    paths = alloy_service.alloy_paths(home, environ)

    unit = alloy_service.render_files(configuration, home, environ, UID)[paths.unit]

    assert f"--storage.path={paths.storage}" in exec_start(unit)


def test_unit_and_manual_command_are_the_same(configuration, home, environ):
    paths = alloy_service.alloy_paths(home, environ)

    unit = alloy_service.render_files(configuration, home, environ, UID)[paths.unit]
    manual = alloy_service.manual_run(configuration, home, environ)

    assert exec_start(unit) == list(manual.command)


def test_config_reads_the_users_socket_and_pushes_to_lokis_published_port(
    configuration, home, environ
):
    paths = alloy_service.alloy_paths(home, environ)
    loki_port = configuration.settings.loki.port

    config = alloy_service.render_files(configuration, home, environ, UID)[paths.config]

    socket = f'"unix://{environ["XDG_RUNTIME_DIR"]}/docker.sock"'
    assert config.count(f"host = {socket}") == 1
    assert f"host          = {socket}" in config
    assert f'url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"' in config
    assert "/var/run/docker.sock" not in config


def test_files_render_for_inspection_without_alloy_installed(
    configuration, home, environ
):
    environ = {**environ, "PATH": ""}
    paths = alloy_service.alloy_paths(home, environ)

    files = alloy_service.render_files(configuration, home, environ, UID)

    assert exec_start(files[paths.unit])[0] == alloy_service.PACKAGED_ALLOY
    assert not paths.unit.exists()
    assert not paths.config.exists()


def test_install_writes_the_unit_the_config_and_a_private_storage_dir(
    configuration, home, environ
):
    paths = alloy_service.alloy_paths(home, environ)

    changed = alloy_service.install(configuration, home, environ, UID, None)

    assert changed == [paths.config, paths.unit, paths.storage]
    assert paths.config.read_text().startswith("// Alloy for mirrorstack")
    assert "ExecStart=" in paths.unit.read_text()
    assert stat.S_IMODE(paths.storage.stat().st_mode) == 0o700


def test_install_twice_changes_nothing_the_second_time(configuration, home, environ):
    alloy_service.install(configuration, home, environ, UID, None)

    second = alloy_service.install(configuration, home, environ, UID, None)

    assert second == []


def test_install_rewrites_only_the_file_whose_values_changed(
    configuration, home, environ
):
    alloy_service.install(configuration, home, environ, UID, None)
    moved = {**environ, "XDG_RUNTIME_DIR": "/run/user/moved"}

    changed = alloy_service.install(configuration, home, moved, UID, None)

    assert changed == [alloy_service.alloy_paths(home, environ).config]


def test_install_without_alloy_says_how_to_install_it(configuration, home, environ):
    environ = {**environ, "PATH": ""}

    with pytest.raises(StackError) as raised:
        alloy_service.install(configuration, home, environ, UID, None)

    message = str(raised.value)
    assert isinstance(raised.value, MirrorstackError)
    assert "alloy is not on PATH" in message
    assert "apt or rpm repository" in message
    assert "github.com/grafana/alloy/releases" in message
    assert not alloy_service.alloy_paths(home, environ).unit.exists()


def test_install_with_a_missing_binary_names_it(configuration, home, environ):
    with pytest.raises(StackError, match="/opt/none/alloy is not an executable"):
        alloy_service.install(configuration, home, environ, UID, "/opt/none/alloy")


def test_no_user_systemd_where_systemctl_is_not_on_path(environ):
    found = alloy_service.has_user_systemd(environ)

    assert found is False


def test_systemctl_user_without_systemd_prints_the_alloy_run_command(
    configuration, home, environ
):
    manual = alloy_service.manual_run(configuration, home, environ)

    with pytest.raises(StackError) as raised:
        alloy_service.systemctl_user(
            "start", alloy_service.UNIT_NAME, environ=environ, manual=manual
        )

    message = str(raised.value)
    assert message.startswith("no systemd user manager runs here")
    assert shlex.join(manual.command) in message


def test_journal_user_without_systemd_prints_the_alloy_run_command(
    configuration, home, environ
):
    manual = alloy_service.manual_run(configuration, home, environ)

    with pytest.raises(StackError, match="run Alloy yourself"):
        alloy_service.journal_user(
            alloy_service.UNIT_NAME, False, 10, environ=environ, manual=manual
        )


def test_a_running_container_alloy_is_named_as_a_port_clash(configuration):
    notes = alloy_service.settings_notes(configuration)

    assert configuration.settings.alloy.enabled
    assert any("enabled = false in [alloy]" in note for note in notes)


def test_alloy_binary_path_is_made_absolute(environ, alloy_binary, monkeypatch):
    monkeypatch.chdir(alloy_binary.parent.parent)

    found = alloy_service.find_alloy(environ, os.path.join("bin", "alloy"))

    assert found == str(alloy_binary)
