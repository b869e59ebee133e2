"""Which certificates mirrorstack issues, from which inputs, into which files.

File names follow cfssl's: NAME.pem and NAME-key.pem in the certs folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SIGNING_CONFIG = "cfssl.json"
CHAIN_FILE = "registry-chain.pem"


def certificate_file(name: str, certs_dir: Path) -> Path:
    """Where the certificate called name lives."""
    return certs_dir / f"{name}.pem"


def key_file(name: str, certs_dir: Path) -> Path:
    """Where the private key of the certificate called name lives."""
    return certs_dir / f"{name}-key.pem"


@dataclass(frozen=True)
class CertificateSpec:
    """One certificate: its CSR file, its cfssl.json profile and its issuer."""

    name: str
    csr: str
    profile: str | None
    issuer: str | None

    def certificate(self, certs_dir: Path) -> Path:
        return certificate_file(self.name, certs_dir)

    def key(self, certs_dir: Path) -> Path:
        return key_file(self.name, certs_dir)

    def inputs(self, cfssl_dir: Path, certs_dir: Path) -> list[Path]:
        """The files whose change means this certificate must be issued again."""
        files = [cfssl_dir / self.csr]
        if self.profile is not None:
            files.append(cfssl_dir / SIGNING_CONFIG)
        if self.issuer is not None:
            files.append(certificate_file(self.issuer, certs_dir))
            files.append(key_file(self.issuer, certs_dir))
        return files


CERTIFICATES: tuple[CertificateSpec, ...] = (
    CertificateSpec("ca", "ca.json", None, None),
    CertificateSpec("intermediate-ca", "intermediate-ca.json", "intermediate_ca", "ca"),
    CertificateSpec("registry", "registry.json", "server", "intermediate-ca"),
    CertificateSpec("registry-peer", "registry.json", "peer", "intermediate-ca"),
    CertificateSpec("client", "client.json", "client", "intermediate-ca"),
)

# The registry serves its leaf followed by the intermediate that signed it, so
# clients that trust only the root can build the path.
CHAIN_MEMBERS = ("registry", "intermediate-ca")
