"""The files rendered into the build folder, and the exact values each one takes.

Each rendered file is one `Output`: a template, a target under build/, and a
function that picks from the configuration only the values that template uses, so
doit re-renders a file exactly when its template or its values change.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorstack.files import write_atomically
from mirrorstack.settings import Configuration
from mirrorstack.templates import render_template

# Jaeger 2 (the Go module jaeger v1.75.0) serves its own metrics and health here.
JAEGER_METRICS_PORT = 8888
JAEGER_HEALTH_PORT = 13133
JAEGER_HEALTH_PATH = "/status"

Context = Callable[[Configuration], dict[str, Any]]


# The files each service mounts. Their digest is a label of the service, so that
# `docker compose up` recreates a service whose certificate or configuration changed.
SERVICE_INPUTS = {
    "mirror": (
        "build/registry/mirror-config.yml",
        "build/secrets/mirror.env",
        "certs/registry-chain.pem",
        "certs/registry-key.pem",
    ),
    "front": (
        "build/front/nginx.conf",
        "certs/ca.pem",
        "certs/intermediate-ca.pem",
        "certs/registry-chain.pem",
        "certs/registry-key.pem",
    ),
    "push-registry": (
        "build/registry/push-registry-config.yml",
        "certs/registry-chain.pem",
        "certs/registry-key.pem",
    ),
    "upstream": ("build/registry/upstream-config.yml",),
    "prometheus": (
        "build/prometheus/prometheus.yml",
        "certs/ca.pem",
        "certs/client.pem",
        "certs/client-key.pem",
    ),
    "loki": ("build/loki/loki-config.yaml",),
    "alloy": ("build/alloy/config.alloy",),
    "grafana": (
        "build/secrets/grafana.env",
        "build/grafana/provisioning/datasources/datasources.yaml",
        "build/grafana/provisioning/dashboards/dashboards.yaml",
        "build/grafana/dashboards/registry.json",
    ),
}


@dataclass(frozen=True)
class Output:
    """One file under build/: a rendered template, or a copy if context is None."""

    target: str
    template: str
    context: Context | None
    inputs: tuple[str, ...] = ()

    def values(self, configuration: Configuration) -> dict[str, Any]:
        return self.context(configuration) if self.context else {}


def _compose(configuration: Configuration) -> dict[str, Any]:
    settings = configuration.settings
    project = configuration.project
    return {
        "project": settings.stack.project,
        "bind_address": settings.stack.bind_address,
        "images": configuration.images.model_dump(),
        "mirror": settings.mirror.model_dump(),
        "front": settings.front.model_dump(),
        "push_registry": settings.push_registry.model_dump(),
        "upstream": settings.upstream.model_dump(),
        "prometheus": settings.prometheus.model_dump(),
        "jaeger": settings.jaeger.model_dump(),
        "loki": settings.loki.model_dump(),
        "alloy": settings.alloy.model_dump(),
        "grafana": settings.grafana.model_dump(),
        "docker_socket": settings.docker.socket,
        "jaeger_health_port": JAEGER_HEALTH_PORT,
        "jaeger_health_path": JAEGER_HEALTH_PATH,
        "build_dir": str(project.build_dir.resolve()),
        "certs_dir": str(project.certs_dir.resolve()),
        "secrets_dir": str(project.build_dir.resolve() / "secrets"),
        "prometheus_data": _prometheus_data(configuration),
    }


def _digest(root: Path, paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        file = root / path
        digest.update(file.read_bytes() if file.is_file() else b"missing")
    return digest.hexdigest()[:16]


def _prometheus_data(configuration: Configuration) -> str:
    """The named volume, or the absolute host folder the settings name."""
    data_path = configuration.settings.prometheus.data_path
    if not data_path:
        return "prometheus-data"
    return str((configuration.project.root / data_path).resolve())


def _mirror_registry(configuration: Configuration) -> dict[str, Any]:
    settings = configuration.settings
    proxy = {
        "remote_url": settings.mirror.upstream_url,
        "ttl": settings.mirror.cache_ttl,
    }
    # Behind the front, TLS ends there; the registry is reached only on the compose
    # network, and a second handshake would slow every manifest request.
    return {"service": "mirror", "tls": not settings.front.enabled, "proxy": proxy}


def _push_registry(configuration: Configuration) -> dict[str, Any]:
    return {"service": "push-registry", "tls": True, "proxy": None}


def _upstream_registry(configuration: Configuration) -> dict[str, Any]:
    return {"service": "upstream", "tls": False, "proxy": None}


def _front(configuration: Configuration) -> dict[str, Any]:
    return {"front": configuration.settings.front.model_dump()}


def _prometheus(configuration: Configuration) -> dict[str, Any]:
    return {
        "front_enabled": configuration.settings.front.enabled,
        "jaeger_enabled": configuration.settings.jaeger.enabled,
        "jaeger_metrics_port": JAEGER_METRICS_PORT,
    }


def _loki(configuration: Configuration) -> dict[str, Any]:
    return {"loki": configuration.settings.loki.model_dump()}


def _alloy(configuration: Configuration) -> dict[str, Any]:
    return {
        "alloy": configuration.settings.alloy.model_dump(),
        "project": configuration.settings.stack.project,
        "docker_socket": "unix:///var/run/docker.sock",
        "loki_push_url": "http://loki:3100/loki/api/v1/push",
    }


def _grafana_datasources(configuration: Configuration) -> dict[str, Any]:
    settings = configuration.settings
    return {
        "prometheus_url": "http://prometheus:9090",
        "loki_url": "http://loki:3100",
        "jaeger_url": "http://jaeger:16686",
        "loki_enabled": settings.loki.enabled,
        "jaeger_enabled": settings.jaeger.enabled,
    }


def _grafana_dashboards(configuration: Configuration) -> dict[str, Any]:
    return {"dashboards_path": "/etc/grafana/dashboards"}


OUTPUTS: tuple[Output, ...] = (
    Output(
        "compose.yaml",
        "stack/compose.yaml.j2",
        _compose,
        tuple(sorted({path for paths in SERVICE_INPUTS.values() for path in paths})),
    ),
    Output(
        "registry/mirror-config.yml",
        "config/registry/registry-config.yml.j2",
        _mirror_registry,
    ),
    Output(
        "registry/push-registry-config.yml",
        "config/registry/registry-config.yml.j2",
        _push_registry,
    ),
    Output(
        "registry/upstream-config.yml",
        "config/registry/registry-config.yml.j2",
        _upstream_registry,
    ),
    Output("front/nginx.conf", "config/front/nginx.conf.j2", _front),
    Output(
        "prometheus/prometheus.yml", "config/prometheus/prometheus.yml.j2", _prometheus
    ),
    Output("loki/loki-config.yaml", "config/loki/loki-config.yaml.j2", _loki),
    Output("alloy/config.alloy", "config/alloy/config.alloy.j2", _alloy),
    Output(
        "grafana/provisioning/datasources/datasources.yaml",
        "config/grafana/provisioning/datasources/datasources.yaml.j2",
        _grafana_datasources,
    ),
    Output(
        "grafana/provisioning/dashboards/dashboards.yaml",
        "config/grafana/provisioning/dashboards/dashboards.yaml.j2",
        _grafana_dashboards,
    ),
    Output(
        "grafana/dashboards/registry.json",
        "config/grafana/dashboards/registry.json",
        None,
    ),
)


def render_output(output: Output, configuration: Configuration) -> None:
    """Write one output under build/."""
    project = configuration.project
    target = project.build_dir / output.target
    template = project.root / output.template
    if output.context is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        return
    context = output.values(configuration)
    if output.inputs:
        # Read when the task runs, after doit has brought these files up to date;
        # doit tracks them through file_dep, not through the values.
        context["inputs_digest"] = {
            service: _digest(project.root, paths)
            for service, paths in SERVICE_INPUTS.items()
        }
    text = render_template(template, context)
    write_atomically(target, text.encode())


def record_profile(configuration: Configuration) -> None:
    """Remember which profile build/ was rendered for."""
    path = configuration.project.rendered_profile_file
    write_atomically(path, f"{configuration.profile}\n".encode())
