"""The services of the stack: where each is reached and how readiness is judged.

This is the one readiness table: `up`, `status`, `health` and the tests use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from mirrorstack.settings import Settings


@dataclass(frozen=True)
class Service:
    """A compose service a user reaches on the host, and its readiness URL."""

    name: str
    url: str
    ready_path: str | None
    published_ports: tuple[int, ...]

    @property
    def ready_url(self) -> str | None:
        """None where only compose's healthcheck can tell (a client cert is needed)."""
        return None if self.ready_path is None else self.url + self.ready_path


def services(settings: Settings) -> list[Service]:
    """The enabled services in start order."""
    registry = f"https://{settings.mirror.hostname}"
    local = f"http://{settings.stack.bind_address}"
    jaeger = settings.jaeger
    table = [
        (True, "mirror", registry, settings.mirror.port, "/v2/", ()),
        (
            settings.front.enabled,
            "front",
            registry,
            settings.front.metrics_port,
            None,
            (),
        ),
        (True, "push-registry", registry, settings.push_registry.port, "/v2/", ()),
        (
            settings.upstream.enabled,
            "upstream",
            local,
            settings.upstream.port,
            "/v2/",
            (),
        ),
        (
            settings.prometheus.enabled,
            "prometheus",
            local,
            settings.prometheus.port,
            "/-/ready",
            (),
        ),
        (
            jaeger.enabled,
            "jaeger",
            local,
            jaeger.ui_port,
            "/",
            (jaeger.otlp_grpc_port, jaeger.otlp_http_port),
        ),
        (settings.loki.enabled, "loki", local, settings.loki.port, "/ready", ()),
        (settings.alloy.enabled, "alloy", local, settings.alloy.port, "/-/ready", ()),
        (
            settings.grafana.enabled,
            "grafana",
            local,
            settings.grafana.port,
            "/api/health",
            (),
        ),
    ]
    return [
        Service(name, f"{base}:{port}", ready_path, (port, *other_ports))
        for enabled, name, base, port, ready_path, other_ports in table
        if enabled
    ]
