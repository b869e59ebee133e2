from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from docker import DockerClient
from docker.errors import APIError

from mirrorstack.daemon import wait_for_mirror
from mirrorstack.errors import DaemonConfigError

MIRROR = "https://mirror.test:5000"


class FakeEngine:
    """Answers `docker info` from a script of answers, repeating the last one."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def info(self) -> dict[str, Any]:
        self.calls += 1
        answer = self.answers[min(self.calls, len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return {"RegistryConfig": {"Mirrors": answer}}


def _client(engine: FakeEngine) -> DockerClient:
    return cast(DockerClient, engine)


def test_mirror_listed_with_trailing_slash_is_confirmed() -> None:
    engine = FakeEngine([MIRROR + "/"])

    wait_for_mirror(MIRROR, client=_client(engine))

    assert engine.calls == 1


def test_wait_polls_until_dockerd_has_reloaded() -> None:
    engine = FakeEngine(
        [], APIError("reloading"), ["https://other.test/", MIRROR + "/"]
    )

    wait_for_mirror(MIRROR, timeout=5, client=_client(engine), interval=0.01)

    assert engine.calls == 3


def test_missing_mirror_names_the_file_and_docker_info(tmp_path: Path) -> None:
    engine = FakeEngine(["https://other.test/"])
    daemon_json = tmp_path / "daemon.json"

    with pytest.raises(DaemonConfigError) as caught:
        wait_for_mirror(
            MIRROR,
            timeout=0.05,
            daemon_json=daemon_json,
            client=_client(engine),
            interval=0.01,
        )

    message = str(caught.value)
    assert str(daemon_json) in message
    assert "https://other.test/" in message
    assert "`docker info`" in message
    assert "journalctl" in message
