"""Reload tests signal only a child process they start themselves.

Every test passes its own proc folder, so no lookup can reach the machine's
real dockerd; the child is made visible in it through a symlink to its entry
in the real /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mirrorstack.daemon import DaemonMode, DaemonPaths, reload_daemon
from mirrorstack.errors import DaemonConfigError

# Names itself dockerd (as /proc shows it) and records the SIGHUP it receives.
FAKE_DOCKERD = """
import pathlib, signal, sys, time
pathlib.Path("/proc/self/comm").write_text("dockerd")
record = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGHUP, lambda *_: record.write_text("SIGHUP"))
record.with_suffix(".ready").touch()
time.sleep(30)
"""


@dataclass(frozen=True)
class FakeDockerd:
    pid: int
    record: Path

    def received_sighup(self) -> bool:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            # The handler may have created the file but not yet written it.
            if self.record.exists() and self.record.read_text() == "SIGHUP":
                return True
            time.sleep(0.02)
        return False


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 5
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


@pytest.fixture
def fake_dockerd(tmp_path: Path) -> Iterator[FakeDockerd]:
    record = tmp_path / "mirrorstack-test-dockerd.signal"
    child = subprocess.Popen([sys.executable, "-c", FAKE_DOCKERD, str(record)])
    try:
        _wait_for(record.with_suffix(".ready"))
        assert Path(f"/proc/{child.pid}/comm").read_text().strip() == "dockerd"
        yield FakeDockerd(child.pid, record)
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    folder = tmp_path / "proc"
    folder.mkdir()
    return folder


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    # A PATH without systemctl, so the signal path is taken.
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    return {"PATH": str(bin_folder)}


def _show(proc: Path, pid: int) -> None:
    (proc / str(pid)).symlink_to(f"/proc/{pid}")


def _fake_process(proc: Path, pid: int, name: str) -> None:
    (proc / str(pid)).mkdir()
    (proc / str(pid) / "comm").write_text(f"{name}\n")


def _paths(tmp_path: Path, pid_file: Path | None) -> DaemonPaths:
    return DaemonPaths(tmp_path / "daemon.json", tmp_path / "certs.d", pid_file)


def _fake_systemctl(environ: dict[str, str], is_active_status: int) -> Path:
    calls = Path(environ["PATH"]) / "calls"
    script = Path(environ["PATH"]) / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        f'case "$*" in *is-active*) exit {is_active_status};; esac\n'
        'case "$*" in *reload*) [ -e "$0.fail" ] && echo "no polkit" >&2 && exit 1;;'
        " esac\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return calls


def test_pid_file_leads_to_a_sighup(
    tmp_path: Path, proc: Path, environ: dict[str, str], fake_dockerd: FakeDockerd
) -> None:
    _show(proc, fake_dockerd.pid)
    pid_file = tmp_path / "docker.pid"
    pid_file.write_text(f"{fake_dockerd.pid}\n")

    said = reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, pid_file), environ, proc)

    assert fake_dockerd.received_sighup()
    assert f"SIGHUP to dockerd (pid {fake_dockerd.pid})" in said


def test_stale_pid_file_falls_back_to_proc(
    tmp_path: Path, proc: Path, environ: dict[str, str], fake_dockerd: FakeDockerd
) -> None:
    _fake_process(proc, os.getpid(), "python3")
    _show(proc, fake_dockerd.pid)
    pid_file = tmp_path / "docker.pid"
    pid_file.write_text(f"{os.getpid()}\n")

    said = reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, pid_file), environ, proc)

    assert fake_dockerd.received_sighup()
    assert str(fake_dockerd.pid) in said


def test_no_dockerd_in_proc_is_reported(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    _fake_process(proc, 101, "containerd")

    with pytest.raises(DaemonConfigError, match="no dockerd owned by uid"):
        reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, None), environ, proc)


def test_several_dockerds_are_not_guessed_between(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    _fake_process(proc, 101, "dockerd")
    _fake_process(proc, 202, "dockerd")

    with pytest.raises(DaemonConfigError, match=r"several dockerd .*\(101, 202\)"):
        reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, None), environ, proc)


def test_active_systemd_unit_is_reloaded_through_systemctl(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    calls = _fake_systemctl(environ, is_active_status=0)

    said = reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, None), environ, proc)

    assert calls.read_text().splitlines() == [
        "--user is-active --quiet docker",
        "--user reload docker",
    ]
    assert said == "Reloaded docker with `systemctl --user reload docker`."


def test_rootful_uses_the_system_manager(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    calls = _fake_systemctl(environ, is_active_status=0)

    reload_daemon(DaemonMode.ROOTFUL, _paths(tmp_path, None), environ, proc)

    assert calls.read_text().splitlines() == [
        "is-active --quiet docker",
        "reload docker",
    ]


def test_inactive_systemd_unit_falls_back_to_the_signal(
    tmp_path: Path, proc: Path, environ: dict[str, str], fake_dockerd: FakeDockerd
) -> None:
    calls = _fake_systemctl(environ, is_active_status=3)
    _show(proc, fake_dockerd.pid)

    reload_daemon(DaemonMode.ROOTLESS, _paths(tmp_path, None), environ, proc)

    assert fake_dockerd.received_sighup()
    assert calls.read_text().splitlines() == ["--user is-active --quiet docker"]


def test_failed_systemctl_reload_names_the_journal(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    systemctl = Path(environ["PATH"]) / "systemctl"
    _fake_systemctl(environ, is_active_status=0)
    systemctl.with_suffix(".fail").touch()

    with pytest.raises(DaemonConfigError, match=r"no polkit.*journalctl -u docker"):
        reload_daemon(DaemonMode.ROOTFUL, _paths(tmp_path, None), environ, proc)


def test_desktop_is_told_to_apply_in_docker_desktop(
    tmp_path: Path, proc: Path, environ: dict[str, str]
) -> None:
    with pytest.raises(DaemonConfigError, match="Docker Desktop > Settings"):
        reload_daemon(DaemonMode.DESKTOP, _paths(tmp_path, None), environ, proc)
