"""The README's commands, run as written in a fresh copy of the kit."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess

import pytest

from mirrorstack.settings import Project, load
from tests.e2e.conftest import daemon_files_restored, require_daemon_changes, run_kit
from tests.unit.kit_copy import REPOSITORY_ROOT, copy_kit

pytestmark = pytest.mark.e2e

# Needs Docker Hub (the offline line next to it is run instead) or is this suite.
NOT_RUN_HERE = ("invoke quickstart", "invoke test")


def readme_commands(program):
    """The README's shell lines that run program, continuation lines joined."""
    readme = (REPOSITORY_ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    text = "\n".join(blocks).replace("\\\n", " ")
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line.startswith(f"{program} ")]


def port_is_busy(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_readme_offline_flow_works_as_written(tmp_path):
    require_daemon_changes()
    if port_is_busy(5000):
        pytest.skip("port 5000 is taken (a running mirrorstack?); the README uses it")
    root = copy_kit(tmp_path)
    commands = [line for line in readme_commands("invoke") if line not in NOT_RUN_HERE]
    curls = readme_commands("curl")
    configuration = load(Project(root), "offline")

    assert "invoke quickstart --offline" in commands
    assert curls
    try:
        with daemon_files_restored(configuration):
            for command in commands:
                result = run_kit(root, *shlex.split(command)[1:], profile=None)
                assert result.returncode == 0, (
                    f"{command}:\n{result.stdout}{result.stderr}"
                )
            for command in curls:
                result = subprocess.run(
                    shlex.split(command), cwd=root, capture_output=True, text=True
                )
                assert result.returncode == 0, f"{command}:\n{result.stderr}"
                assert "registry_http_requests_total" in result.stdout
    finally:
        run_kit(root, "clean", "--yes", profile=None)
