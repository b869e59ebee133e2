"""The .env file: Docker Hub credentials and the Grafana admin password.

The file is created at first run with a generated Grafana password and mode 0600.
Its values reach containers only through per-service env files under
build/secrets/ (also 0600), so the registry never sees Grafana's password.
"""

from __future__ import annotations

import logging
import secrets
import stat
from pathlib import Path

from dotenv import dotenv_values

from mirrorstack.errors import SettingsError
from mirrorstack.files import write_atomically
from mirrorstack.settings import Project

log = logging.getLogger(__name__)

KNOWN_KEYS = (
    "REGISTRY_PROXY_USERNAME",
    "REGISTRY_PROXY_PASSWORD",
    "GRAFANA_ADMIN_USER",
    "GRAFANA_ADMIN_PASSWORD",
)


def ensure_env_file(project: Project) -> bool:
    """Create .env with a fresh Grafana password when missing; True if created."""
    if project.env_file.exists():
        return False
    lines = [
        "# mirrorstack secrets. Keep this file private (mode 0600); it is git-ignored.",
        "# Docker Hub account the mirror pulls as; empty pulls anonymously.",
        "REGISTRY_PROXY_USERNAME=",
        "REGISTRY_PROXY_PASSWORD=",
        "GRAFANA_ADMIN_USER=admin",
        f"GRAFANA_ADMIN_PASSWORD={secrets.token_urlsafe(24)}",
    ]
    write_atomically(project.env_file, ("\n".join(lines) + "\n").encode(), mode=0o600)
    log.info("created %s with a generated Grafana admin password", project.env_file)
    return True


def read_env_file(project: Project) -> dict[str, str]:
    """Read .env, refusing unknown keys and a file others can read."""
    path = project.env_file
    if not path.is_file():
        raise SettingsError(f"{path} is missing. Run `invoke render` to create it.")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(
            f"{path} can be read by other users. Run `chmod 600 {path}`."
        )
    values = {key: value or "" for key, value in dotenv_values(path).items()}
    unknown = sorted(set(values) - set(KNOWN_KEYS))
    if unknown:
        raise SettingsError(
            f"{path}: unknown key {unknown[0]!r}. Known keys: {', '.join(KNOWN_KEYS)}."
        )
    if not values.get("GRAFANA_ADMIN_PASSWORD") or values[
        "GRAFANA_ADMIN_PASSWORD"
    ] == values.get("GRAFANA_ADMIN_USER", "admin"):
        raise SettingsError(
            f"{path}: GRAFANA_ADMIN_PASSWORD is empty or equals the user name. "
            "Set a long random value, or delete the line's value and the file to "
            "have one generated."
        )
    return values


def write_service_env_files(project: Project) -> list[Path]:
    """Split .env into the env file each service reads."""
    values = read_env_file(project)
    mirror = {
        key: values[key]
        for key in ("REGISTRY_PROXY_USERNAME", "REGISTRY_PROXY_PASSWORD")
        if values.get(key)
    }
    grafana = {
        "GF_SECURITY_ADMIN_USER": values.get("GRAFANA_ADMIN_USER") or "admin",
        "GF_SECURITY_ADMIN_PASSWORD": values["GRAFANA_ADMIN_PASSWORD"],
    }
    written = []
    for name, entries in (("mirror.env", mirror), ("grafana.env", grafana)):
        path = project.build_dir / "secrets" / name
        text = "".join(f"{key}={value}\n" for key, value in entries.items())
        write_atomically(path, text.encode(), mode=0o600)
        written.append(path)
    return written
