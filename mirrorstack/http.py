"""HTTP clients that trust the kit's root CA, for registry and service calls."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from mirrorstack.errors import CertificateError
from mirrorstack.settings import Project


def kit_ssl_context(
    project: Project, client_certificate: bool = False
) -> ssl.SSLContext:
    """Trust only the kit's root CA; present the client certificate if asked."""
    ca = project.certs_dir / "ca.pem"
    if not ca.is_file():
        raise CertificateError(f"{ca} does not exist. Run `invoke certs` first.")
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_certificate:
        context.load_cert_chain(
            _existing(project.certs_dir / "client.pem"),
            _existing(project.certs_dir / "client-key.pem"),
        )
    return context


def kit_client(project: Project, timeout: float = 10.0) -> httpx.Client:
    """An httpx client for the kit's own services."""
    return httpx.Client(verify=kit_ssl_context(project), timeout=timeout)


def _existing(path: Path) -> str:
    if not path.is_file():
        raise CertificateError(f"{path} does not exist. Run `invoke certs` first.")
    return str(path)
