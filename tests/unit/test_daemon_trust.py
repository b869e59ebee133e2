from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mirrorstack.daemon import install_trust
from mirrorstack.errors import DaemonConfigError

HOST_PORT = "mirror.test:5000"


@dataclass(frozen=True)
class Pki:
    ca: Path
    client_certificate: Path
    client_key: Path


def _self_signed(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    folder = tmp_path / "pki"
    folder.mkdir()
    ca_pem, _ = _self_signed("mirrorstack-test-ca")
    client_pem, client_key_pem = _self_signed("mirrorstack-test-client")
    (folder / "ca.pem").write_bytes(ca_pem)
    (folder / "client.pem").write_bytes(client_pem)
    (folder / "client-key.pem").write_bytes(client_key_pem)
    return Pki(folder / "ca.pem", folder / "client.pem", folder / "client-key.pem")


def test_trust_writes_ca_under_host_port(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"

    written = install_trust(certs_d, HOST_PORT, pki.ca)

    assert written == [certs_d / HOST_PORT / "ca.crt"]
    assert written[0].read_bytes() == pki.ca.read_bytes()


def test_trust_writes_client_pair_with_dockerd_names(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"

    written = install_trust(
        certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key
    )

    folder = certs_d / HOST_PORT
    assert written == [folder / "ca.crt", folder / "client.cert", folder / "client.key"]
    assert (folder / "client.cert").read_bytes() == pki.client_certificate.read_bytes()
    assert (folder / "client.key").read_bytes() == pki.client_key.read_bytes()


def test_trust_writes_client_key_0600(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"

    install_trust(certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key)

    key_mode = (certs_d / HOST_PORT / "client.key").stat().st_mode
    assert stat.S_IMODE(key_mode) == 0o600


def test_install_trust_is_idempotent(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"
    install_trust(certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key)

    written = install_trust(
        certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key
    )

    assert written == []


def test_changed_ca_is_the_only_file_rewritten(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"
    install_trust(certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key)
    pki.ca.write_bytes(_self_signed("mirrorstack-test-new-ca")[0])

    written = install_trust(
        certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key
    )

    assert written == [certs_d / HOST_PORT / "ca.crt"]


def test_key_with_loose_mode_is_rewritten_0600(tmp_path: Path, pki: Pki) -> None:
    certs_d = tmp_path / "certs.d"
    install_trust(certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key)
    key = certs_d / HOST_PORT / "client.key"
    key.chmod(0o644)

    written = install_trust(
        certs_d, HOST_PORT, pki.ca, pki.client_certificate, pki.client_key
    )

    assert written == [key]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_missing_ca_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ca.pem"

    with pytest.raises(DaemonConfigError, match=r"nowhere/ca\.pem"):
        install_trust(tmp_path / "certs.d", HOST_PORT, missing)


def test_ca_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.der"
    ca.write_bytes(b"\x30\x82\x01\x0a")

    with pytest.raises(DaemonConfigError, match=r"ca\.der is not a PEM certificate"):
        install_trust(tmp_path / "certs.d", HOST_PORT, ca)

    assert not (tmp_path / "certs.d").exists()


def test_encrypted_client_key_is_refused(tmp_path: Path, pki: Pki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pki.client_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )

    with pytest.raises(DaemonConfigError, match="unencrypted PEM private key"):
        install_trust(
            tmp_path / "certs.d",
            HOST_PORT,
            pki.ca,
            pki.client_certificate,
            pki.client_key,
        )


def test_client_certificate_without_key_is_refused(tmp_path: Path, pki: Pki) -> None:
    with pytest.raises(
        DaemonConfigError, match="both a client certificate and its key"
    ):
        install_trust(tmp_path / "certs.d", HOST_PORT, pki.ca, pki.client_certificate)


@pytest.mark.parametrize(
    "host_port",
    ["mirror.test", "mirror.test:", "mirror.test:99999", "../etc:5000", "a/b:5000"],
)
def test_host_port_must_look_like_host_and_port(
    tmp_path: Path, pki: Pki, host_port: str
) -> None:
    with pytest.raises(DaemonConfigError, match="is not HOST:PORT"):
        install_trust(tmp_path / "certs.d", host_port, pki.ca)


@pytest.mark.parametrize("host_port", ["127.0.0.1:5000", "[::1]:5000", "localhost:443"])
def test_addresses_are_accepted_as_host(
    tmp_path: Path, pki: Pki, host_port: str
) -> None:
    written = install_trust(tmp_path / "certs.d", host_port, pki.ca)

    assert written == [tmp_path / "certs.d" / host_port / "ca.crt"]
