from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from mirrorstack.daemon import merge_registry_mirrors, remove_registry_mirror
from mirrorstack.errors import DaemonConfigError

MIRROR = "https://mirror.test:5000"
USER_CONFIG = """{
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m"},
    "registry-mirrors": ["https://other.test"],
    "data-root": "/srv/docker",
    "features": {"buildkit": true}
}
"""


@pytest.fixture
def daemon_json(tmp_path: Path) -> Path:
    path = tmp_path / "daemon.json"
    path.write_text(USER_CONFIG)
    return path


def _backups(daemon_json: Path) -> list[Path]:
    return sorted(daemon_json.parent.glob("daemon.json.mirrorstack-backup-*"))


def test_merge_puts_the_mirror_first(daemon_json: Path) -> None:
    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert result.changed
    config = json.loads(daemon_json.read_text())
    assert config["registry-mirrors"] == [MIRROR, "https://other.test"]


def test_merge_keeps_every_other_key(daemon_json: Path) -> None:
    before = json.loads(USER_CONFIG)

    merge_registry_mirrors(daemon_json, MIRROR)

    after = json.loads(daemon_json.read_text())
    del before["registry-mirrors"], after["registry-mirrors"]
    assert after == before


def test_merge_keeps_the_order_of_keys(daemon_json: Path) -> None:
    merge_registry_mirrors(daemon_json, MIRROR)

    keys = list(json.loads(daemon_json.read_text()))
    assert keys == list(json.loads(USER_CONFIG))


def test_merge_writes_two_space_indent(tmp_path: Path) -> None:
    daemon_json = tmp_path / "daemon.json"

    merge_registry_mirrors(daemon_json, MIRROR)

    assert daemon_json.read_text() == (
        '{\n  "registry-mirrors": [\n    "https://mirror.test:5000"\n  ]\n}\n'
    )


def test_missing_file_is_created_without_backup(tmp_path: Path) -> None:
    daemon_json = tmp_path / "docker" / "daemon.json"

    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert result.changed
    assert result.backup is None
    assert json.loads(daemon_json.read_text()) == {"registry-mirrors": [MIRROR]}
    assert _backups(daemon_json) == []


def test_backup_holds_the_previous_bytes(daemon_json: Path) -> None:
    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert result.backup is not None
    assert result.backup.read_text() == USER_CONFIG
    assert re.fullmatch(
        r"daemon\.json\.mirrorstack-backup-\d{8}T\d{6}Z", result.backup.name
    )


def test_second_merge_changes_nothing(daemon_json: Path) -> None:
    merge_registry_mirrors(daemon_json, MIRROR)
    written = daemon_json.read_bytes()

    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert not result.changed
    assert result.backup is None
    assert daemon_json.read_bytes() == written
    assert len(_backups(daemon_json)) == 1


def test_trailing_slash_counts_as_the_same_mirror(daemon_json: Path) -> None:
    merge_registry_mirrors(daemon_json, MIRROR + "/")

    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert not result.changed
    mirrors = json.loads(daemon_json.read_text())["registry-mirrors"]
    assert mirrors == [MIRROR + "/", "https://other.test"]


def test_merge_keeps_the_file_mode(daemon_json: Path) -> None:
    daemon_json.chmod(0o600)

    result = merge_registry_mirrors(daemon_json, MIRROR)

    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o600
    assert result.backup is not None
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600


def test_invalid_json_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    daemon_json = tmp_path / "daemon.json"
    broken = '{\n  "debug": true,\n  "registry-mirrors": [\n}\n'
    daemon_json.write_text(broken)

    with pytest.raises(DaemonConfigError) as caught:
        merge_registry_mirrors(daemon_json, MIRROR)

    message = str(caught.value)
    assert str(daemon_json) in message
    assert "line 4, column 1" in message
    assert "fix or move it, then run again" in message
    assert daemon_json.read_text() == broken
    assert _backups(daemon_json) == []


def test_json_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text('["registry-mirrors"]\n')

    with pytest.raises(DaemonConfigError, match="JSON list, not an object"):
        merge_registry_mirrors(daemon_json, MIRROR)

    assert daemon_json.read_text() == '["registry-mirrors"]\n'


def test_registry_mirrors_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text('{"registry-mirrors": "https://other.test"}')

    with pytest.raises(DaemonConfigError, match=r'"registry-mirrors" in .* must be'):
        merge_registry_mirrors(daemon_json, MIRROR)


@pytest.mark.parametrize(
    "url", ["mirror.test:5000", "https://mirror.test/v2", "ftp://mirror.test"]
)
def test_mirror_url_dockerd_would_reject_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(DaemonConfigError, match="is not a registry mirror URL"):
        merge_registry_mirrors(tmp_path / "daemon.json", url)

    assert not (tmp_path / "daemon.json").exists()


def test_merge_writes_through_a_symlink(tmp_path: Path, daemon_json: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(daemon_json)

    merge_registry_mirrors(link, MIRROR)

    assert link.is_symlink()
    assert MIRROR in json.loads(daemon_json.read_text())["registry-mirrors"]


def test_remove_leaves_an_empty_list_so_a_reload_drops_the_mirror(
    tmp_path: Path,
) -> None:
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text('{"debug": true}')
    merge_registry_mirrors(daemon_json, MIRROR)

    result = remove_registry_mirror(daemon_json, MIRROR + "/")

    assert result.changed
    assert json.loads(daemon_json.read_text()) == {
        "debug": True,
        "registry-mirrors": [],
    }


def test_remove_keeps_other_mirrors(daemon_json: Path) -> None:
    merge_registry_mirrors(daemon_json, MIRROR)

    remove_registry_mirror(daemon_json, MIRROR)

    assert json.loads(daemon_json.read_text()) == json.loads(USER_CONFIG)


def test_every_change_keeps_its_own_backup(daemon_json: Path) -> None:
    merge_registry_mirrors(daemon_json, MIRROR)
    merged = daemon_json.read_text()

    result = remove_registry_mirror(daemon_json, MIRROR)

    assert result.backup is not None
    assert result.backup.read_text() == merged
    assert len(_backups(daemon_json)) == 2


def test_remove_from_missing_file_changes_nothing(tmp_path: Path) -> None:
    daemon_json = tmp_path / "daemon.json"

    result = remove_registry_mirror(daemon_json, MIRROR)

    assert not result.changed
    assert not daemon_json.exists()
