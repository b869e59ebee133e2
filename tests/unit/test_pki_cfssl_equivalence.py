"""Both backends must issue equivalent chains from the same cfssl inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509

from mirrorstack.pki import (
    CERTIFICATES,
    issue_certificate,
    verify_certificates,
    write_chain,
)
from mirrorstack.pki.usages import key_usage_fields

from .conftest import REPO_CFSSL_DIR

pytestmark = pytest.mark.skipif(
    shutil.which("cfssl") is None,
    reason="cfssl is not on PATH; install it with `GOBIN=/usr/local/bin go install "
    "github.com/cloudflare/cfssl/cmd/cfssl@v1.6.5` to compare the backends",
)


@pytest.fixture(scope="module")
def chains(tmp_path_factory) -> dict[str, Path]:
    issued = {}
    for backend in ("cryptography", "cfssl"):
        certs = tmp_path_factory.mktemp(backend)
        for spec in CERTIFICATES:
            issue_certificate(spec, REPO_CFSSL_DIR, certs, backend=backend)
        write_chain(certs)
        issued[backend] = certs
    return issued


def features(certs_dir: Path, name: str) -> dict[str, object]:
    """What a TLS peer looks at, leaving out keys, serials and dates."""
    cert = x509.load_pem_x509_certificate((certs_dir / f"{name}.pem").read_bytes())
    extensions = {type(e.value): e.value for e in cert.extensions}
    names = extensions.get(x509.SubjectAlternativeName, x509.SubjectAlternativeName([]))
    usage = extensions.get(x509.ExtendedKeyUsage, [])
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "dns names": sorted(names.get_values_for_type(x509.DNSName)),
        "ip addresses": sorted(map(str, names.get_values_for_type(x509.IPAddress))),
        "key usage": key_usage_fields(extensions[x509.KeyUsage]),
        "extended key usage": sorted(oid.dotted_string for oid in usage),
        "basic constraints": extensions[x509.BasicConstraints],
        "lifetime": cert.not_valid_after_utc - cert.not_valid_before_utc,
        "signature hash": getattr(cert.signature_hash_algorithm, "name", None),
    }


@pytest.mark.parametrize("spec", CERTIFICATES, ids=lambda spec: spec.name)
def test_cfssl_and_cryptography_issue_equivalent_certificates(chains, spec):
    ours = features(chains["cryptography"], spec.name)

    theirs = features(chains["cfssl"], spec.name)

    assert ours == theirs


def test_chain_issued_by_cfssl_passes_verification(chains):
    assert verify_certificates(REPO_CFSSL_DIR, chains["cfssl"]) == []
