"""The real stack, rendered by the kit's own doit graph and started with testcontainers.

Stand-in images (ci/build-images.sh) replace the official ones, a local registry
seeded with a sample image plays Docker Hub, and every port is moved off the
defaults so a user's own stack on this machine is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import tomli_w
from testcontainers.compose import DockerCompose

from mirrorstack import daemon, upstream
from mirrorstack.settings import Configuration, Project, load
from tests.unit.kit_copy import copy_kit

log = logging.getLogger(__name__)

PROFILE = "e2e"
PROMETHEUS_DATA = "prometheus-data"

# Off the defaults, so a user's stack on 5000, 9090 ... is not disturbed.
E2E_OVERRIDES = {
    "stack": {"project": "mirrorstack-e2e"},
    "mirror": {"port": 15000},
    "front": {"metrics_port": 15443},
    "push_registry": {"port": 15002},
    "upstream": {"port": 15003},
    # A bind mount, not a volume: its owner is fixed inside the daemon (rootless too).
    "prometheus": {"port": 19090, "data_path": PROMETHEUS_DATA},
    "jaeger": {"ui_port": 26686, "otlp_grpc_port": 14317, "otlp_http_port": 14318},
}


def _e2e_profile(offline_profile: Path) -> dict[str, object]:
    with offline_profile.open("rb") as handle:
        profile = tomllib.load(handle)
    for section, values in E2E_OVERRIDES.items():
        profile.setdefault(section, {}).update(values)
    return profile


def run_kit(
    project_root: Path, *arguments: str, profile: str | None = PROFILE
) -> subprocess.CompletedProcess[str]:
    """Run one of the kit's own commands (`invoke ...`) in a kit copy."""
    environment = {k: v for k, v in os.environ.items() if k != "MIRRORSTACK_PROFILE"}
    if profile:
        environment["MIRRORSTACK_PROFILE"] = profile
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "invoke",
            "--search-root",
            str(project_root),
            *arguments,
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    log.info(
        "invoke %s -> %s\n%s%s",
        " ".join(arguments),
        result.returncode,
        result.stdout,
        result.stderr,
    )
    return result


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the kit with an e2e profile, certificates issued and files rendered."""
    root = copy_kit(tmp_path_factory.mktemp("mirrorstack-e2e"))
    profile = _e2e_profile(root / "config" / "profiles" / "offline.toml")
    (root / "config" / "profiles" / f"{PROFILE}.toml").write_text(
        tomli_w.dumps(profile)
    )

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "doit",
            "-f",
            str(root / "dodo.py"),
            "env",
            "certs",
            "render",
        ],
        env={**os.environ, "MIRRORSTACK_PROFILE": PROFILE},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return Project(root)


@pytest.fixture(scope="session")
def configuration(project: Project) -> Configuration:
    return load(project, PROFILE)


@pytest.fixture(scope="session")
def running_stack(configuration: Configuration) -> Iterator[DockerCompose]:
    """The rendered compose stack, healthy, with the upstream seeded."""
    build_dir = configuration.project.build_dir
    stack = DockerCompose(
        build_dir, compose_file_name="compose.yaml", pull=False, wait=True
    )
    stack.start()
    try:
        upstream.seed(configuration)
        yield stack
    finally:
        stack.stop(down=True)
        _empty_through_the_daemon(
            configuration.project.root / PROMETHEUS_DATA, configuration.images.busybox
        )


def _empty_through_the_daemon(folder: Path, image: str) -> None:
    # Files there belong to Prometheus's uid (a subordinate id under rootless), so
    # only a container can remove them.
    docker.from_env().containers.run(
        image,
        ["sh", "-c", "rm -rf /data/* /data/.[!.]*"],
        volumes={str(folder): {"bind": "/data", "mode": "rw"}},
        remove=True,
    )


DAEMON_VARIABLE = "MIRRORSTACK_ALLOW_DAEMON_CHANGES"


def require_daemon_changes() -> None:
    if os.environ.get(DAEMON_VARIABLE) != "1":
        pytest.skip(f"changes the machine's Docker daemon; set {DAEMON_VARIABLE}=1")


@contextmanager
def daemon_files_restored(configuration: Configuration) -> Iterator[str]:
    """Give the mirror URL; afterwards put the daemon's files and mirrors back."""
    mode = daemon.current_mode()
    paths = daemon.daemon_paths(mode, Path.home(), os.environ)
    settings = configuration.settings
    trust_dirs = [
        paths.certs_d / f"{settings.mirror.hostname}:{port}"
        for port in (settings.mirror.port, settings.push_registry.port)
    ]
    saved = _save([paths.daemon_json, *trust_dirs])
    backups_before = set(paths.daemon_json.parent.glob(f"{paths.daemon_json.name}.*"))
    mirror = f"https://{settings.mirror.hostname}:{settings.mirror.port}"
    try:
        yield mirror
    finally:
        _restore_daemon(mode, paths, saved, mirror)
        for backup in set(paths.daemon_json.parent.glob(f"{paths.daemon_json.name}.*")):
            if backup not in backups_before:
                backup.unlink()
        _remove_sample_images()


@pytest.fixture(scope="session")
def configured_daemon(
    project: Project, configuration: Configuration, running_stack: DockerCompose
) -> Iterator[str]:
    """This machine's dockerd using the e2e mirror; its files restored afterwards."""
    require_daemon_changes()
    with daemon_files_restored(configuration) as mirror:
        for command in ("configure-docker-tls", "configure-mirror"):
            result = run_kit(project.root, command)
            assert result.returncode == 0, result.stdout + result.stderr
        yield mirror


def _restore_daemon(mode, paths, saved, mirror):
    # dockerd keeps its mirrors on reload when daemon.json lacks the key or the
    # file, so an explicit empty list is applied first, then the original bytes.
    original = saved.pop(paths.daemon_json)
    applied = json.loads(original) if isinstance(original, bytes) else {}
    applied.setdefault("registry-mirrors", [])
    paths.daemon_json.write_text(json.dumps(applied))
    _restore(saved)
    daemon.reload_daemon(mode, paths, os.environ)
    _wait_until_mirror_is_gone(mirror)
    if isinstance(original, bytes):
        paths.daemon_json.write_bytes(original)
    else:
        paths.daemon_json.unlink()


def _wait_until_mirror_is_gone(mirror, timeout=20.0):
    client = docker.from_env()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mirrors = client.info()["RegistryConfig"].get("Mirrors") or []
        if all(not listed.startswith(mirror) for listed in mirrors):
            return
        time.sleep(0.5)
    raise AssertionError(f"dockerd still lists {mirror} after restoring its files")


def _remove_sample_images():
    client = docker.from_env()
    for image in client.images.list(filters={"label": upstream.SAMPLE_LABEL}):
        client.images.remove(str(image.id), force=True)


def _save(paths: list[Path]) -> dict[Path, bytes | dict[str, bytes] | None]:
    saved: dict[Path, bytes | dict[str, bytes] | None] = {}
    for path in paths:
        if path.is_dir():
            saved[path] = {child.name: child.read_bytes() for child in path.iterdir()}
        elif path.is_file():
            saved[path] = path.read_bytes()
        else:
            saved[path] = None
    return saved


def _restore(saved: dict[Path, bytes | dict[str, bytes] | None]) -> None:
    for path, content in saved.items():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.mkdir(parents=True)
            for name, data in content.items():
                (path / name).write_bytes(data)
