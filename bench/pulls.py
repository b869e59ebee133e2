"""Pulls made with skopeo, a real registry client, and their wall time.

N pulls start together as N skopeo processes; the wall time runs from the first
start to the last exit. Each copies into its own `dir:` folder, removed after.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.images import Image
from mirrorstack.settings import Configuration

log = logging.getLogger(__name__)

# Long enough for eight cold pulls of a large image on a slow machine.
PULL_TIMEOUT = 900


@dataclass(frozen=True)
class Source:
    """A registry skopeo pulls from: TLS with the kit's CA, or plain HTTP."""

    address: str
    cert_dir: Path | None

    def options(self) -> list[str]:
        if self.cert_dir is None:
            return ["--src-tls-verify=false"]
        return ["--src-cert-dir", str(self.cert_dir)]


def mirror_source(configuration: Configuration, workdir: Path) -> Source:
    """The mirror's port (the front, or the registry alone), trusting the kit's CA."""
    cert_dir = workdir / "certs.d"
    cert_dir.mkdir(parents=True, exist_ok=True)
    ca = configuration.project.certs_dir / "ca.pem"
    (cert_dir / "ca.crt").write_bytes(ca.read_bytes())
    mirror = configuration.settings.mirror
    return Source(f"{mirror.hostname}:{mirror.port}", cert_dir)


def upstream_source(configuration: Configuration) -> Source:
    """The local upstream's published port, plain HTTP."""
    settings = configuration.settings
    return Source(f"{settings.stack.bind_address}:{settings.upstream.port}", None)


def pull_concurrently(source: Source, image: Image, count: int, workdir: Path) -> float:
    """Start count pulls of image at once; return seconds until the last finished."""
    destinations = [workdir / f"pull-{index}" for index in range(count)]
    for destination in destinations:
        shutil.rmtree(destination, ignore_errors=True)
    argv = [
        "skopeo",
        "copy",
        "--quiet",
        *source.options(),
        f"docker://{source.address}/{image.reference}",
    ]
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [*argv, f"dir:{destination}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for destination in destinations
    ]
    try:
        errors = [_wait(process, started + PULL_TIMEOUT) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    seconds = time.monotonic() - started
    for destination in destinations:
        shutil.rmtree(destination, ignore_errors=True)
    failed = [error for error in errors if error is not None]
    if failed:
        raise BenchError(
            f"{len(failed)} of {count} pulls of {image.reference} from "
            f"{source.address} failed: {failed[0]}. Check `docker compose logs`."
        )
    return seconds


def _wait(process: subprocess.Popen[str], deadline: float) -> str | None:
    """Wait for one skopeo; return its error output when it failed."""
    try:
        _, stderr = process.communicate(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        return f"no exit within {PULL_TIMEOUT} s"
    if process.returncode != 0:
        return stderr.strip() or f"exit status {process.returncode}"
    return None
