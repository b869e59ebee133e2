"""Issuing certificates with the cryptography library, the way cfssl would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mirrorstack.pki.cfssl_inputs import CertificateRequest, KeyRequest, SigningProfile
from mirrorstack.pki.pem_files import PrivateKey
from mirrorstack.pki.usages import key_usage

# Like cfssl, start validity a little in the past so that a container whose
# clock lags the host's still accepts a certificate issued a moment ago.
BACKDATE = timedelta(minutes=5)
_CURVES: dict[int, ec.EllipticCurve] = {
    256: ec.SECP256R1(),
    384: ec.SECP384R1(),
    521: ec.SECP521R1(),
}


@dataclass(frozen=True)
class Issuer:
    certificate: x509.Certificate
    key: PrivateKey


def generate_key(request: KeyRequest) -> PrivateKey:
    if request.algo == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=request.size)
    return ec.generate_private_key(_CURVES[request.size])


def build_certificate(
    request: CertificateRequest,
    profile: SigningProfile,
    key: PrivateKey,
    issuer: Issuer | None,
) -> x509.Certificate:
    """Sign request's subject and hosts with profile; self-signed without issuer."""
    signing_key = key if issuer is None else issuer.key
    issuer_name = request.subject if issuer is None else issuer.certificate.subject
    not_before = datetime.now(UTC).replace(second=0, microsecond=0) - BACKDATE
    builder = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + profile.expiry)
        .add_extension(
            x509.BasicConstraints(
                ca=profile.is_ca,
                path_length=profile.path_length if profile.is_ca else None,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .add_extension(_authority_key_identifier(signing_key, issuer), critical=False)
    )
    # Criticality as Go's x509 (and so cfssl) marks these extensions.
    if profile.key_usages:
        builder = builder.add_extension(key_usage(profile.key_usages), critical=True)
    if profile.extended_key_usages:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(profile.extended_key_usages), critical=False
        )
    if request.dns_names or request.ip_addresses:
        builder = builder.add_extension(_alternative_names(request), critical=False)
    return builder.sign(signing_key, _signature_hash(signing_key))


def _authority_key_identifier(
    signing_key: PrivateKey, issuer: Issuer | None
) -> x509.AuthorityKeyIdentifier:
    # Path building matches this against the issuer's own SKI, so copy that
    # when there is one rather than recomputing it.
    if issuer is not None:
        try:
            ski = issuer.certificate.extensions.get_extension_for_class(
                x509.SubjectKeyIdentifier
            )
        except x509.ExtensionNotFound:
            pass
        else:
            return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ski.value
            )
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key())


def _alternative_names(request: CertificateRequest) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in request.dns_names]
    names += [x509.IPAddress(address) for address in request.ip_addresses]
    return x509.SubjectAlternativeName(names)


def _signature_hash(
    key: PrivateKey,
) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    # cfssl's choice: the hash grows with the signing key.
    large, medium = (4096, 3072) if isinstance(key, rsa.RSAPrivateKey) else (521, 384)
    if key.key_size >= large:
        return hashes.SHA512()
    if key.key_size >= medium:
        return hashes.SHA384()
    return hashes.SHA256()
