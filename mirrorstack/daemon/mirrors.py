"""Adding the mirror to daemon.json's registry-mirrors, and taking it out again.

daemon.json belongs to the user: every other key, and the order of keys, is
kept; a file that is not a JSON object is refused, because a broken
daemon.json stops dockerd from starting; the previous bytes are kept in a
timestamped backup beside the file before it is replaced.
"""

from __future__ import annotations

import json
import logging
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mirrorstack.errors import DaemonConfigError
from mirrorstack.files import write_atomically

log = logging.getLogger(__name__)

KEY = "registry-mirrors"
NEW_FILE_MODE = 0o644
BACKUP_MARK = ".mirrorstack-backup-"


@dataclass(frozen=True)
class MergeResult:
    """Whether daemon.json was rewritten, and where its previous bytes went."""

    changed: bool
    backup: Path | None


@dataclass(frozen=True)
class _Loaded:
    config: dict[str, Any]
    original: bytes | None
    mode: int


def merge_registry_mirrors(daemon_json: Path, mirror_url: str) -> MergeResult:
    """Put mirror_url first in registry-mirrors unless it is there already."""
    _check_mirror_url(mirror_url)
    path = daemon_json.resolve()
    loaded = _load(path)
    mirrors = _mirrors(loaded.config, path)
    if any(same_mirror(mirror, mirror_url) for mirror in mirrors):
        log.info("%s already lists %s", path, mirror_url)
        return MergeResult(changed=False, backup=None)
    loaded.config[KEY] = [mirror_url, *mirrors]
    return _save(path, loaded)


def remove_registry_mirror(daemon_json: Path, mirror_url: str) -> MergeResult:
    """Take mirror_url out of registry-mirrors, leaving an empty list if it empties."""
    path = daemon_json.resolve()
    loaded = _load(path)
    mirrors = _mirrors(loaded.config, path)
    kept = [mirror for mirror in mirrors if not same_mirror(mirror, mirror_url)]
    if kept == mirrors:
        log.info("%s does not list %s", path, mirror_url)
        return MergeResult(changed=False, backup=None)
    # An empty list, not a missing key: on SIGHUP dockerd keeps the mirrors it has
    # when daemon.json does not name the key (seen with Docker 20.10).
    loaded.config[KEY] = kept
    return _save(path, loaded)


def _check_mirror_url(mirror_url: str) -> None:
    # dockerd refuses to start on a mirror with a path, query or fragment.
    parts = urlsplit(mirror_url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise DaemonConfigError(
            f"{mirror_url!r} is not a registry mirror URL; dockerd takes only "
            "a scheme, host and port, for example https://mirror.lan:5000."
        )


def same_mirror(left: str, right: str) -> bool:
    """Compare mirror URLs the way dockerd does, ignoring a trailing slash."""
    # dockerd stores mirrors with a trailing slash; users often type none.
    return left.rstrip("/") == right.rstrip("/")


def _load(path: Path) -> _Loaded:
    try:
        original = path.read_bytes()
    except FileNotFoundError:
        return _Loaded(config={}, original=None, mode=NEW_FILE_MODE)
    try:
        config = json.loads(original.decode("utf-8"))
    except json.JSONDecodeError as error:
        raise _refusal(
            path, f"line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except UnicodeDecodeError as error:
        raise _refusal(path, f"byte {error.start} is not UTF-8") from None
    if not isinstance(config, dict):
        raise _refusal(path, f"it holds a JSON {type(config).__name__}, not an object")
    return _Loaded(config, original, stat.S_IMODE(path.stat().st_mode))


def _refusal(path: Path, reason: str) -> DaemonConfigError:
    return DaemonConfigError(
        f"{path} is not a valid daemon.json ({reason}), so mirrorstack left it "
        "unchanged. A broken daemon.json stops dockerd from starting; fix or "
        "move it, then run again."
    )


def _mirrors(config: dict[str, Any], path: Path) -> list[str]:
    mirrors = config.get(KEY, [])
    if not isinstance(mirrors, list) or not all(isinstance(m, str) for m in mirrors):
        raise DaemonConfigError(
            f'"{KEY}" in {path} must be a list of URL strings; fix it, then run again.'
        )
    return mirrors


def _save(path: Path, loaded: _Loaded) -> MergeResult:
    backup = (
        None
        if loaded.original is None
        else _back_up(path, loaded.original, loaded.mode)
    )
    text = json.dumps(loaded.config, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"), loaded.mode)
    log.info("wrote %s", path)
    return MergeResult(changed=True, backup=backup)


def _back_up(path: Path, original: bytes, mode: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}{BACKUP_MARK}{stamp}")
    # Two changes within one second must not overwrite the older backup.
    count = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}{BACKUP_MARK}{stamp}-{count}")
        count += 1
    write_atomically(backup, original, mode)
    log.info("kept the previous %s as %s", path.name, backup)
    return backup
