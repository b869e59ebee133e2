"""Reading and writing the PEM files of issued certificates and their keys."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mirrorstack.errors import CertificateError
from mirrorstack.files import write_atomically

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

KEY_MODE = 0o600
CERTIFICATE_MODE = 0o644
REISSUE = "Run `invoke certs` to issue it again"


def write_key(path: Path, key: PrivateKey) -> None:
    # The traditional encodings ("EC PRIVATE KEY", "RSA PRIVATE KEY") are the
    # ones cfssl writes, so tools that read cfssl's keys read these too.
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    write_atomically(path, data, mode=KEY_MODE)


def write_certificates(path: Path, certificates: list[x509.Certificate]) -> None:
    data = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
    write_atomically(path, data, mode=CERTIFICATE_MODE)


def load_certificate(path: Path) -> x509.Certificate:
    """The first certificate in a PEM file."""
    return load_certificates(path)[0]


def load_certificates(path: Path) -> list[x509.Certificate]:
    return parse_certificates(_read(path), str(path))


def load_key(path: Path) -> PrivateKey:
    return parse_key(_read(path), str(path))


def parse_certificates(data: bytes, source: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise CertificateError(
            f"{source} is not PEM certificates ({error}). {REISSUE}."
        ) from None


def parse_key(data: bytes, source: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise CertificateError(
            f"{source} is not an unencrypted PEM private key ({error}). {REISSUE}."
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CertificateError(
            f"{source} holds a {type(key).__name__}; mirrorstack signs with ECDSA "
            f"or RSA keys only. {REISSUE}."
        )
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{path} is missing. {REISSUE}.") from None
    except OSError as error:
        raise CertificateError(f"{path} cannot be read ({error}).") from None


def public_key_bytes(key: PrivateKey | x509.Certificate) -> bytes:
    """The DER public key of a private key or certificate, for comparing them."""
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
