"""A live TLS handshake check of the mirror, as `invoke test-tls` runs it."""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from mirrorstack.errors import CertificateError
from mirrorstack.http import kit_ssl_context
from mirrorstack.settings import Project


@dataclass(frozen=True)
class HandshakeReport:
    """What one verified handshake showed."""

    address: str
    protocol: str
    cipher: str
    subject: str
    names: list[str]
    refuses_tls_1_1: bool


def probe(
    project: Project, host: str, port: int, timeout: float = 5.0
) -> HandshakeReport:
    """Handshake trusting only the root CA: success shows the intermediate is served."""
    context = kit_ssl_context(project)
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            certificate = tls.getpeercert() or {}
            protocol = tls.version() or "unknown"
            cipher = tls.cipher()
    except ssl.SSLCertVerificationError as error:
        raise CertificateError(
            f"{host}:{port} presented a chain that does not verify against "
            f"{project.certs_dir / 'ca.pem'}: {error.verify_message}. "
            "Run `invoke verify-certs`, then `invoke restart`."
        ) from None
    except OSError as error:
        raise CertificateError(
            f"no TLS handshake with {host}:{port}: {error}. Is the stack up?"
        ) from None
    return HandshakeReport(
        address=f"{host}:{port}",
        protocol=protocol,
        cipher=cipher[0] if cipher else "unknown",
        subject=_common_name(certificate),
        names=[str(entry[1]) for entry in certificate.get("subjectAltName", ())],
        refuses_tls_1_1=refuses_tls_1_1(host, port, timeout),
    )


def refuses_tls_1_1(host: str, port: int, timeout: float = 5.0) -> bool:
    """True when the server will not complete a TLS 1.1 handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # OpenSSL refuses TLS 1.1 itself at the default security level; lower it so
    # that a refusal can only come from the server.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        # Offering TLS 1.1 on purpose is the point of this check.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return False
    except (ssl.SSLError, ConnectionResetError):
        return True


def _common_name(certificate: Mapping[str, Any]) -> str:
    for entry in certificate.get("subject", ()):
        for key, value in entry:
            if key == "commonName":
                return str(value)
    return ""


def metrics_accept_kit_client(project: Project, host: str, port: int) -> bool | None:
    """Whether the front's metrics answer 200 to the kit's client certificate.

    None when nothing answers there, that is when the stack is not up.
    """
    context = kit_ssl_context(project, client_certificate=True)
    try:
        response = httpx.get(
            f"https://{host}:{port}/metrics", verify=context, timeout=10
        )
    except httpx.ConnectError:
        return None
    return response.status_code == httpx.codes.OK
