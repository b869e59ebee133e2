"""Checking that the running dockerd has taken the mirror up."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from docker import DockerClient

from mirrorstack.daemon.engine import ENGINE_ERRORS, connect
from mirrorstack.daemon.mirrors import same_mirror
from mirrorstack.errors import DaemonConfigError

log = logging.getLogger(__name__)


def wait_for_mirror(
    mirror_url: str,
    timeout: float = 20.0,
    *,
    daemon_json: Path | None = None,
    client: DockerClient | None = None,
    interval: float = 0.5,
) -> None:
    """Wait until `docker info` lists mirror_url among the registry mirrors.

    daemon_json, the file the mirror was written to, is named in the error.
    Without a client one is made from the environment (DOCKER_HOST).
    """
    own_client = client is None
    engine = connect() if client is None else client
    try:
        _poll(engine, mirror_url, timeout, interval, daemon_json)
    finally:
        if own_client:
            engine.close()


def _poll(
    client: DockerClient,
    mirror_url: str,
    timeout: float,
    interval: float,
    daemon_json: Path | None,
) -> None:
    started = time.monotonic()
    while True:
        mirrors = _mirrors(client)
        if any(same_mirror(mirror, mirror_url) for mirror in mirrors):
            log.info(
                "dockerd lists %s after %.1f s", mirror_url, time.monotonic() - started
            )
            return
        if time.monotonic() - started >= timeout:
            raise _not_listed(mirror_url, timeout, daemon_json, mirrors)
        time.sleep(interval)


def _mirrors(client: DockerClient) -> list[str]:
    try:
        info = client.info()
    except ENGINE_ERRORS as error:
        # dockerd may be busy reloading; the next poll asks again.
        log.debug("docker info failed: %s", error)
        return []
    mirrors = info.get("RegistryConfig", {}).get("Mirrors") or []
    return [str(mirror) for mirror in mirrors]


def _not_listed(
    mirror_url: str, timeout: float, daemon_json: Path | None, mirrors: list[str]
) -> DaemonConfigError:
    written = "" if daemon_json is None else f", although {daemon_json} lists it"
    return DaemonConfigError(
        f"dockerd does not list {mirror_url} among its registry mirrors after "
        f"{timeout:g} s{written} (it lists: {', '.join(mirrors) or 'none'}). "
        "Check `docker info` under 'Registry Mirrors' and the daemon's log "
        "(`journalctl -u docker`, or `journalctl --user -u docker` when "
        "rootless); dockerd logs why it rejected a daemon.json."
    )
