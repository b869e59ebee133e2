"""mirrorstack's PKI: a root, an intermediate and the leaves, from cfssl's JSON.

issue_certificate    one certificate of CERTIFICATES, with cryptography or cfssl
write_chain          registry-chain.pem, what the registry serves
expires_within       whether a certificate is due for renewal
verify_certificates  every problem with the issued files, as sentences
verify_chain_of      the problems of one certificate and the CAs above it
"""

from __future__ import annotations

from mirrorstack.pki.issue import issue_certificate, write_chain
from mirrorstack.pki.specs import CERTIFICATES, CHAIN_FILE, CertificateSpec
from mirrorstack.pki.verify import (
    expires_within,
    verify_certificates,
    verify_chain_of,
)

__all__ = [
    "CERTIFICATES",
    "CHAIN_FILE",
    "CertificateSpec",
    "expires_within",
    "issue_certificate",
    "verify_certificates",
    "verify_chain_of",
    "write_chain",
]
