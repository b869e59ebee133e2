"""Making dockerd trust the mirror: the CA and client pair in certs.d."""

from __future__ import annotations

import logging
import re
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mirrorstack.errors import DaemonConfigError
from mirrorstack.files import write_atomically

log = logging.getLogger(__name__)

# A name or IPv4 address, or a bracketed IPv6 address, then a port: the form
# dockerd uses for a registry's folder in certs.d.
_HOST_PORT = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r":(\d{1,5})$"
)

PUBLIC_MODE = 0o644
KEY_MODE = 0o600


def install_trust(
    certs_d: Path,
    host_port: str,
    ca: Path,
    client_certificate: Path | None = None,
    client_key: Path | None = None,
) -> list[Path]:
    """Copy the CA, and the client pair if given, to certs_d/HOST:PORT/.

    Returns the files that were written; files that already hold the same
    bytes with the right mode are left alone.
    """
    if (client_certificate is None) != (client_key is None):
        raise DaemonConfigError(
            "mutual TLS needs both a client certificate and its key; "
            "pass both files, or neither."
        )
    folder = certs_d / _checked_host_port(host_port)
    wanted = {folder / "ca.crt": (_certificate_bytes(ca), PUBLIC_MODE)}
    if client_certificate is not None and client_key is not None:
        wanted[folder / "client.cert"] = (
            _certificate_bytes(client_certificate),
            PUBLIC_MODE,
        )
        wanted[folder / "client.key"] = (_key_bytes(client_key), KEY_MODE)
    return [path for path, (data, mode) in wanted.items() if _install(path, data, mode)]


def _checked_host_port(host_port: str) -> str:
    match = _HOST_PORT.match(host_port)
    if match is None or not 1 <= int(match.group(1)) <= 65535:
        raise DaemonConfigError(
            f"{host_port!r} is not HOST:PORT; give the mirror's name and port "
            "as clients pull from it, for example mirror.lan:5000."
        )
    return host_port


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DaemonConfigError(
            f"cannot read the {what} {path}: {error.strerror}. "
            "Issue the certificates first (doit), or pass the right path."
        ) from None


def _certificate_bytes(path: Path) -> bytes:
    data = _read(path, "certificate")
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise DaemonConfigError(
            f"{path} is not a PEM certificate; dockerd needs the "
            "'-----BEGIN CERTIFICATE-----' form. Pass the .pem file, or convert "
            "it with `openssl x509 -inform der -in FILE -out FILE.pem`."
        ) from None
    return data


def _key_bytes(path: Path) -> bytes:
    data = _read(path, "private key")
    try:
        serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        # TypeError is how cryptography reports a key that needs a password.
        raise DaemonConfigError(
            f"{path} is not an unencrypted PEM private key, which is all dockerd "
            "can read. Pass the client's -key.pem file."
        ) from None
    return data


def _install(path: Path, data: bytes, mode: int) -> bool:
    if _holds(path, data, mode):
        log.debug("%s is already up to date", path)
        return False
    write_atomically(path, data, mode)
    log.info("wrote %s", path)
    return True


def _holds(path: Path, data: bytes, mode: int) -> bool:
    try:
        return stat.S_IMODE(path.stat().st_mode) == mode and path.read_bytes() == data
    except FileNotFoundError:
        return False
