"""Checking issued certificates the way a TLS peer and the operator would."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from mirrorstack.errors import CertificateError, PkiInputError
from mirrorstack.pki.cfssl_inputs import load_certificate_request
from mirrorstack.pki.pem_files import (
    KEY_MODE,
    REISSUE,
    load_certificate,
    load_certificates,
    load_key,
    public_key_bytes,
)
from mirrorstack.pki.specs import (
    CERTIFICATES,
    CHAIN_FILE,
    CHAIN_MEMBERS,
    CertificateSpec,
)
from mirrorstack.pki.usages import key_usage_fields, usage_word

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH


@dataclass(frozen=True)
class _Expected:
    """What the stack needs from one certificate."""

    is_ca: bool
    path_length: int | None = None  # None: whatever the CSR or profile says
    extended_key_usages: frozenset[ObjectIdentifier] = frozenset()
    hosts_from_csr: bool = False


_EXPECTED = {
    "ca": _Expected(is_ca=True),
    "intermediate-ca": _Expected(is_ca=True, path_length=0),
    "registry": _Expected(False, None, frozenset({SERVER_AUTH}), True),
    "registry-peer": _Expected(
        False, None, frozenset({SERVER_AUTH, CLIENT_AUTH}), True
    ),
    "client": _Expected(False, None, frozenset({CLIENT_AUTH})),
}


def expires_within(certificate: Path, days: int) -> bool:
    """Whether certificate expires within days; True too if it cannot be read."""
    try:
        parsed = load_certificate(certificate)
    except CertificateError:
        return True
    return parsed.not_valid_after_utc - datetime.now(UTC) < timedelta(days=days)


def verify_certificates(
    cfssl_dir: Path, certs_dir: Path, *, renewal_days: int = 30
) -> list[str]:
    """Every problem with the issued files, each a sentence; [] when all is well."""
    problems: list[str] = []
    loaded: dict[str, x509.Certificate] = {}
    for spec in CERTIFICATES:
        try:
            loaded[spec.name] = load_certificate(spec.certificate(certs_dir))
        except CertificateError as error:
            problems.append(str(error))
            continue
        problems += _check_key(spec, loaded[spec.name], certs_dir)
    for spec in CERTIFICATES:
        if spec.name in loaded:
            problems += _check_certificate(
                spec, loaded, cfssl_dir, certs_dir, renewal_days
            )
    problems += _check_chain_file(loaded, certs_dir)
    return problems


def verify_chain_of(
    name: str, cfssl_dir: Path, certs_dir: Path, *, renewal_days: int = 30
) -> list[str]:
    """The problems of one certificate, its key, and the CAs above it."""
    specs = {spec.name: spec for spec in CERTIFICATES}
    files: set[str] = set()
    current: CertificateSpec | None = specs[name]
    while current is not None:
        files |= {str(current.certificate(certs_dir)), str(current.key(certs_dir))}
        current = specs[current.issuer] if current.issuer else None
    problems = verify_certificates(cfssl_dir, certs_dir, renewal_days=renewal_days)
    return [
        problem
        for problem in problems
        if any(problem.startswith((f"{path}:", f"{path} ")) for path in files)
    ]


def _check_certificate(
    spec: CertificateSpec,
    loaded: dict[str, x509.Certificate],
    cfssl_dir: Path,
    certs_dir: Path,
    renewal_days: int,
) -> list[str]:
    certificate = loaded[spec.name]
    path = spec.certificate(certs_dir)
    expected = _EXPECTED[spec.name]
    found = [
        *_check_issuer(certificate, loaded.get(spec.issuer or spec.name), spec),
        *_check_constraints(certificate, expected),
        *_check_extended_usages(certificate, expected, spec),
        *_check_validity(certificate, renewal_days),
    ]
    if expected.hosts_from_csr:
        found += _check_hosts(certificate, cfssl_dir / spec.csr)
    return [f"{path}: {problem}" for problem in found]


def _check_key(
    spec: CertificateSpec, certificate: x509.Certificate, certs_dir: Path
) -> list[str]:
    path = spec.key(certs_dir)
    try:
        key = load_key(path)
    except CertificateError as error:
        return [str(error)]
    problems = []
    if public_key_bytes(key) != public_key_bytes(certificate):
        problems.append(
            f"{path} does not belong to {spec.certificate(certs_dir)}. {REISSUE}."
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != KEY_MODE:
        problems.append(
            f"{path} has mode {mode:04o}; a private key must be {KEY_MODE:04o}. "
            f"Run `chmod 600 {path}`."
        )
    return problems


def _check_issuer(
    certificate: x509.Certificate,
    issuer: x509.Certificate | None,
    spec: CertificateSpec,
) -> Iterator[str]:
    if issuer is None:
        return  # the missing issuer is reported on its own
    signer = spec.issuer or "itself"
    try:
        certificate.verify_directly_issued_by(issuer)
    except ValueError as error:
        yield f"is not issued by {signer} ({error}). {REISSUE}."
    except InvalidSignature:
        yield f"its signature does not verify with {signer}'s key. {REISSUE}."


def _check_constraints(
    certificate: x509.Certificate, expected: _Expected
) -> Iterator[str]:
    try:
        constraints = certificate.extensions.get_extension_for_class(
            x509.BasicConstraints
        ).value
    except x509.ExtensionNotFound:
        constraints = x509.BasicConstraints(ca=False, path_length=None)
    if constraints.ca != expected.is_ca:
        role = "a CA" if expected.is_ca else "not a CA"
        yield f"must be {role}; check ca_constraint in cfssl.json. {REISSUE}."
    elif expected.is_ca and "key_cert_sign" not in _key_usages(certificate):
        yield f'cannot sign certificates; add "cert sign" to its usages. {REISSUE}.'
    elif (
        expected.path_length is not None
        and constraints.path_length != expected.path_length
    ):
        yield (
            f"has path length {constraints.path_length}, expected "
            f"{expected.path_length}; check ca_constraint in cfssl.json. {REISSUE}."
        )


def _key_usages(certificate: x509.Certificate) -> frozenset[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return frozenset()
    return key_usage_fields(extension.value)


def _check_extended_usages(
    certificate: x509.Certificate, expected: _Expected, spec: CertificateSpec
) -> Iterator[str]:
    if not expected.extended_key_usages:
        return
    try:
        present = set(
            certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        )
    except x509.ExtensionNotFound:
        present = set()
    missing = sorted(usage_word(oid) for oid in expected.extended_key_usages - present)
    if missing:
        yield (
            f"lacks the usages {', '.join(missing)}; add them to profile "
            f'"{spec.profile}" in cfssl.json. {REISSUE}.'
        )


def _check_validity(certificate: x509.Certificate, renewal_days: int) -> Iterator[str]:
    now = datetime.now(UTC)
    not_after = certificate.not_valid_after_utc
    if not_after <= now:
        yield f"expired on {not_after:%Y-%m-%d}. {REISSUE}."
    elif not_after - now < timedelta(days=renewal_days):
        yield (
            f"expires on {not_after:%Y-%m-%d}, within {renewal_days} days. {REISSUE}."
        )
    if certificate.not_valid_before_utc > now:
        yield (
            f"is not valid before {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} "
            "UTC. Check this machine's clock, then reissue it."
        )


def _check_hosts(certificate: x509.Certificate, csr_file: Path) -> Iterator[str]:
    try:
        request = load_certificate_request(csr_file)
    except PkiInputError as error:
        yield f"cannot be compared with its hosts: {error}"
        return
    try:
        names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value
    except x509.ExtensionNotFound:
        names = x509.SubjectAlternativeName([])
    present = {*names.get_values_for_type(x509.DNSName)}
    present |= {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    wanted = {*request.dns_names, *(str(ip) for ip in request.ip_addresses)}
    differences = [
        f"{label} {', '.join(sorted(hosts))}"
        for label, hosts in (("missing", wanted - present), ("extra", present - wanted))
        if hosts
    ]
    if differences:
        yield (
            f"its names differ from the hosts in {csr_file} "
            f"({'; '.join(differences)}). {REISSUE}."
        )


def _check_chain_file(
    loaded: dict[str, x509.Certificate], certs_dir: Path
) -> list[str]:
    path = certs_dir / CHAIN_FILE
    try:
        chain = load_certificates(path)
    except CertificateError as error:
        return [str(error)]
    if any(name not in loaded for name in CHAIN_MEMBERS):
        return []  # the missing member is reported on its own
    if chain != [loaded[name] for name in CHAIN_MEMBERS]:
        members = " then ".join(f"{name}.pem" for name in CHAIN_MEMBERS)
        return [f"{path} must hold {members}, nothing else. {REISSUE}."]
    return []
