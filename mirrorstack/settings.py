"""The user's settings: config/settings.toml, a profile over it, and .env secrets.

A profile is chosen, first match wins, by the command's own argument, by the
MIRRORSTACK_PROFILE environment variable, or by the profile the build folder was
last rendered for (so `invoke status` after `invoke quickstart --offline` stays
offline). Without any of these the stack talks to Docker Hub.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from mirrorstack.errors import SettingsError

DEFAULT_PROFILE = "hub"
PROFILE_VARIABLE = "MIRRORSTACK_PROFILE"

Port = Field(ge=1, le=65535)
Model = TypeVar("Model", bound=BaseModel)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StackSettings(Section):
    project: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    bind_address: str
    images: str


class MirrorSettings(Section):
    hostname: str
    port: int = Port
    upstream_url: str = Field(pattern=r"^https?://")
    cache_ttl: str = Field(pattern=r"^\d+[hms]$")


class FrontSettings(Section):
    enabled: bool
    metrics_port: int = Port
    cache_max_size: str = Field(pattern=r"^\d+[kmg]$")
    cache_inactive: str = Field(pattern=r"^\d+[smhdwy]$")


class PushRegistrySettings(Section):
    port: int = Port


class UpstreamSettings(Section):
    enabled: bool
    port: int = Port
    seed: list[str]


class PkiSettings(Section):
    backend: Literal["cryptography", "cfssl"]
    renewal_days: int = Field(ge=0)


class PrometheusSettings(Section):
    enabled: bool
    port: int = Port
    retention: str = Field(pattern=r"^\d+[smhdwy]$")
    data_path: str


class JaegerSettings(Section):
    enabled: bool
    ui_port: int = Port
    otlp_grpc_port: int = Port
    otlp_http_port: int = Port


class LokiSettings(Section):
    enabled: bool
    port: int = Port
    retention: str = Field(pattern=r"^\d+[smhdwy]$")
    ingestion_rate_mb: float = Field(gt=0)
    ingestion_burst_size_mb: float = Field(gt=0)


class AlloySettings(Section):
    enabled: bool
    port: int = Port


class GrafanaSettings(Section):
    enabled: bool
    port: int = Port
    anonymous_viewer: bool


class DockerSettings(Section):
    socket: str


class Images(Section):
    registry: str
    front: str
    prometheus: str
    jaeger: str
    loki: str
    alloy: str
    grafana: str
    busybox: str


class Settings(Section):
    stack: StackSettings
    mirror: MirrorSettings
    front: FrontSettings
    push_registry: PushRegistrySettings
    upstream: UpstreamSettings
    pki: PkiSettings
    prometheus: PrometheusSettings
    jaeger: JaegerSettings
    loki: LokiSettings
    alloy: AlloySettings
    grafana: GrafanaSettings
    docker: DockerSettings

    @model_validator(mode="after")
    def _ports_are_distinct(self) -> Settings:
        taken: dict[int, str] = {}
        for key, port in self.published_ports():
            if port in taken:
                raise ValueError(
                    f"{key} = {port} is also {taken[port]}; each published port "
                    "must be different"
                )
            taken[port] = key
        return self

    def published_ports(self) -> list[tuple[str, int]]:
        """Each enabled service's published port, with the key that sets it."""
        candidates = [
            (True, "mirror.port", self.mirror.port),
            (self.front.enabled, "front.metrics_port", self.front.metrics_port),
            (True, "push_registry.port", self.push_registry.port),
            (self.upstream.enabled, "upstream.port", self.upstream.port),
            (self.prometheus.enabled, "prometheus.port", self.prometheus.port),
            (self.jaeger.enabled, "jaeger.ui_port", self.jaeger.ui_port),
            (self.jaeger.enabled, "jaeger.otlp_grpc_port", self.jaeger.otlp_grpc_port),
            (self.jaeger.enabled, "jaeger.otlp_http_port", self.jaeger.otlp_http_port),
            (self.loki.enabled, "loki.port", self.loki.port),
            (self.alloy.enabled, "alloy.port", self.alloy.port),
            (self.grafana.enabled, "grafana.port", self.grafana.port),
        ]
        return [(key, port) for enabled, key, port in candidates if enabled]


@dataclass(frozen=True)
class Project:
    """Where a mirrorstack checkout keeps its inputs and outputs."""

    root: Path

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def cfssl_dir(self) -> Path:
        return self.root / "cfssl"

    @property
    def stack_dir(self) -> Path:
        return self.root / "stack"

    @property
    def certs_dir(self) -> Path:
        return self.root / "certs"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def env_file(self) -> Path:
        return self.root / ".env"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def images_file(self) -> Path:
        return self.config_dir / "images.toml"

    @property
    def rendered_profile_file(self) -> Path:
        return self.build_dir / "profile"

    def profile_file(self, profile: str) -> Path:
        return self.config_dir / "profiles" / f"{profile}.toml"

    @property
    def compose_file(self) -> Path:
        return self.build_dir / "compose.yaml"


@dataclass(frozen=True)
class Configuration:
    """Settings and images of one profile, with the project they belong to."""

    project: Project
    profile: str
    settings: Settings
    images: Images


def choose_profile(project: Project, requested: str | None = None) -> str:
    """Name the profile to use: argument, environment, last render, default."""
    if requested:
        return requested
    if os.environ.get(PROFILE_VARIABLE):
        return os.environ[PROFILE_VARIABLE]
    if project.rendered_profile_file.is_file():
        return project.rendered_profile_file.read_text().strip() or DEFAULT_PROFILE
    return DEFAULT_PROFILE


def load(project: Project, profile: str | None = None) -> Configuration:
    """Read settings.toml, overlay the profile, and pick the profile's images."""
    chosen = choose_profile(project, profile)
    values = _read_toml(project.settings_file)
    if chosen != DEFAULT_PROFILE:
        overlay_file = project.profile_file(chosen)
        if not overlay_file.is_file():
            raise SettingsError(
                f"profile {chosen!r} has no file {overlay_file}. "
                f"Create it, or choose one of: {', '.join(_profiles(project))}."
            )
        values = _overlay(values, _read_toml(overlay_file))

    settings = _validate(Settings, values, project.settings_file, chosen)
    image_sets = _read_toml(project.images_file)
    if settings.stack.images not in image_sets:
        raise SettingsError(
            f"{project.settings_file}: [stack] images = {settings.stack.images!r} "
            f"names no table in {project.images_file}. "
            f"Use one of: {', '.join(sorted(image_sets))}."
        )
    images = _validate(
        Images, image_sets[settings.stack.images], project.images_file, chosen
    )
    return Configuration(project, chosen, settings, images)


def _profiles(project: Project) -> list[str]:
    found = sorted(p.stem for p in (project.config_dir / "profiles").glob("*.toml"))
    return [DEFAULT_PROFILE, *found]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"{path} is missing. Restore it from git.") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}.") from None


def _overlay(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(
    model: type[Model], values: dict[str, Any], path: Path, profile: str
) -> Model:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        # A misspelt key also leaves the right one missing: name the misspelling first.
        errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
        problems = "; ".join(_describe(entry) for entry in errors)
        raise SettingsError(
            f"{path} (profile {profile!r}): {problems}. "
            "Fix the file and run the command again."
        ) from None


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"key {key!r} is not a setting"
    message = error["msg"].removeprefix("Value error, ")
    return f"key {key!r}: {message}" if key else message
