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
    ready_url: str
    published_ports: tuple[int, ...]


def services(settings: Settings) -> list[Service]:
    """The enabled services in start order."""
    host = settings.stack.bind_address
    mirror_host = settings.mirror.hostname
    table = [
        Service(
            "mirror",
            f"https://{mirror_host}:{settings.mirror.port}",
            f"https://{mirror_host}:{settings.mirror.port}/v2/",
            (settings.mirror.port,),
        ),
        Service(
            "push-registry",
            f"https://{mirror_host}:{settings.push_registry.port}",
            f"https://{mirror_host}:{settings.push_registry.port}/v2/",
            (settings.push_registry.port,),
        ),
    ]
    if settings.upstream.enabled:
        port = settings.upstream.port
        table.append(
            Service(
                "upstream",
                f"http://{host}:{port}",
                f"http://{host}:{port}/v2/",
                (port,),
            )
        )
    if settings.prometheus.enabled:
        port = settings.prometheus.port
        table.append(
            Service(
                "prometheus",
                f"http://{host}:{port}",
                f"http://{host}:{port}/-/ready",
                (port,),
            )
        )
    if settings.jaeger.enabled:
        jaeger = settings.jaeger
        table.append(
            Service(
                "jaeger",
                f"http://{host}:{jaeger.ui_port}",
                f"http://{host}:{jaeger.ui_port}/",
                (jaeger.ui_port, jaeger.otlp_grpc_port, jaeger.otlp_http_port),
            )
        )
    if settings.loki.enabled:
        port = settings.loki.port
        table.append(
            Service(
                "loki", f"http://{host}:{port}", f"http://{host}:{port}/ready", (port,)
            )
        )
    if settings.alloy.enabled:
        port = settings.alloy.port
        table.append(
            Service(
                "alloy",
                f"http://{host}:{port}",
                f"http://{host}:{port}/-/ready",
                (port,),
            )
        )
    if settings.grafana.enabled:
        port = settings.grafana.port
        table.append(
            Service(
                "grafana",
                f"http://{host}:{port}",
                f"http://{host}:{port}/api/health",
                (port,),
            )
        )
    return table
