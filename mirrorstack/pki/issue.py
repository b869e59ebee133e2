"""Issuing one certificate of the chain, and the chain file the registry serves."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from mirrorstack.pki.cfssl_binary import issue_with_cfssl
from mirrorstack.pki.cfssl_inputs import (
    load_certificate_request,
    load_signing_config,
    root_profile,
)
from mirrorstack.pki.issuer import Issuer, build_certificate, generate_key
from mirrorstack.pki.pem_files import (
    load_certificate,
    load_key,
    write_certificates,
    write_key,
)
from mirrorstack.pki.specs import (
    CHAIN_FILE,
    CHAIN_MEMBERS,
    SIGNING_CONFIG,
    CertificateSpec,
    certificate_file,
    key_file,
)

logger = logging.getLogger(__name__)

Backend = Literal["cryptography", "cfssl"]


def issue_certificate(
    spec: CertificateSpec,
    cfssl_dir: Path,
    certs_dir: Path,
    backend: Backend = "cryptography",
) -> None:
    """Issue spec's certificate and key into certs_dir, replacing any old ones.

    Every input is read and checked first, so a mistake in one raises
    PkiInputError (or CertificateError for a missing issuer) and writes nothing.
    """
    request = load_certificate_request(cfssl_dir / spec.csr)
    profile = (
        root_profile(request)
        if spec.profile is None
        else load_signing_config(cfssl_dir / SIGNING_CONFIG).profile(spec.profile)
    )
    issuer = (
        None
        if spec.issuer is None
        else Issuer(
            load_certificate(certificate_file(spec.issuer, certs_dir)),
            load_key(key_file(spec.issuer, certs_dir)),
        )
    )
    if backend == "cfssl":
        certificate, key = issue_with_cfssl(spec, profile.is_ca, cfssl_dir, certs_dir)
    else:
        key = generate_key(request.key)
        certificate = build_certificate(request, profile, key, issuer)
    write_key(spec.key(certs_dir), key)
    write_certificates(spec.certificate(certs_dir), [certificate])
    logger.info(
        "issued %s with %s, valid until %s",
        spec.certificate(certs_dir),
        backend,
        certificate.not_valid_after_utc.date(),
    )


def write_chain(certs_dir: Path) -> None:
    """Write registry-chain.pem: the registry's leaf, then the intermediate."""
    members = [
        load_certificate(certificate_file(name, certs_dir)) for name in CHAIN_MEMBERS
    ]
    write_certificates(certs_dir / CHAIN_FILE, members)
    logger.info("wrote %s", certs_dir / CHAIN_FILE)
