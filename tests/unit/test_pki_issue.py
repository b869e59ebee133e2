from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from mirrorstack.errors import CertificateError, PkiInputError
from mirrorstack.pki import CERTIFICATES, CHAIN_FILE, issue_certificate
from mirrorstack.pki.specs import CertificateSpec
from mirrorstack.pki.usages import key_usage_fields

Value = TypeVar("Value", bound=x509.ExtensionType)

SPECS = {spec.name: spec for spec in CERTIFICATES}
LEAVES = ["registry", "registry-peer", "client"]


def certificate(certs_dir: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((certs_dir / f"{name}.pem").read_bytes())


def extension(cert: x509.Certificate, kind: type[Value]) -> Value:
    return cert.extensions.get_extension_for_class(kind).value


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_root_is_a_self_signed_ca_with_the_path_length_of_ca_json(shared_certs_dir):
    root = certificate(shared_certs_dir, "ca")

    root.verify_directly_issued_by(root)
    assert extension(root, x509.BasicConstraints) == x509.BasicConstraints(
        ca=True, path_length=1
    )
    assert key_usage_fields(extension(root, x509.KeyUsage)) == {
        "key_cert_sign",
        "crl_sign",
    }


def test_intermediate_has_path_length_zero(shared_certs_dir):
    intermediate = certificate(shared_certs_dir, "intermediate-ca")

    constraints = extension(intermediate, x509.BasicConstraints)

    assert constraints.ca
    assert constraints.path_length == 0


@pytest.mark.parametrize("name", LEAVES)
def test_leaves_are_not_cas_and_are_signed_by_the_intermediate(shared_certs_dir, name):
    leaf = certificate(shared_certs_dir, name)

    leaf.verify_directly_issued_by(certificate(shared_certs_dir, "intermediate-ca"))
    assert not extension(leaf, x509.BasicConstraints).ca


@pytest.mark.parametrize(
    ("name", "extended_key_usages"),
    [
        ("registry", [ExtendedKeyUsageOID.SERVER_AUTH]),
        (
            "registry-peer",
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        ),
        ("client", [ExtendedKeyUsageOID.CLIENT_AUTH]),
    ],
)
def test_profiles_become_key_usages_and_extended_key_usages(
    shared_certs_dir, name, extended_key_usages
):
    leaf = certificate(shared_certs_dir, name)

    assert key_usage_fields(extension(leaf, x509.KeyUsage)) == {
        "digital_signature",
        "key_encipherment",
    }
    assert list(extension(leaf, x509.ExtendedKeyUsage)) == extended_key_usages


@pytest.mark.parametrize("name", ["registry", "registry-peer"])
def test_registry_names_are_dns_names_and_ip_addresses(shared_certs_dir, name):
    names = extension(certificate(shared_certs_dir, name), x509.SubjectAlternativeName)

    assert names.get_values_for_type(x509.DNSName) == [
        "localhost",
        "mirror",
        "push-registry",
        "registry",
        "front",
    ]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1",
        "::1",
    ]


@pytest.mark.parametrize("spec", CERTIFICATES, ids=lambda spec: spec.name)
def test_authority_key_id_is_the_issuers_subject_key_id(shared_certs_dir, spec):
    issued = certificate(shared_certs_dir, spec.name)
    issuer = certificate(shared_certs_dir, spec.issuer or spec.name)

    authority = extension(issued, x509.AuthorityKeyIdentifier)

    assert authority.key_identifier == (
        extension(issuer, x509.SubjectKeyIdentifier).digest
    )


@pytest.mark.parametrize("spec", CERTIFICATES, ids=lambda spec: spec.name)
def test_keys_are_mode_0600_and_certificates_0644(shared_certs_dir, spec):
    key_mode = stat.S_IMODE(os.stat(spec.key(shared_certs_dir)).st_mode)
    certificate_mode = stat.S_IMODE(os.stat(spec.certificate(shared_certs_dir)).st_mode)

    assert key_mode == 0o600
    assert certificate_mode == 0o644


def test_chain_file_holds_the_registry_leaf_then_the_intermediate(shared_certs_dir):
    chain = x509.load_pem_x509_certificates(
        (shared_certs_dir / CHAIN_FILE).read_bytes()
    )

    assert chain == [
        certificate(shared_certs_dir, "registry"),
        certificate(shared_certs_dir, "intermediate-ca"),
    ]


def test_reissuing_the_registry_leaf_keeps_the_ca_files_unchanged(cfssl_dir, certs_dir):
    before = snapshot(certs_dir)

    issue_certificate(SPECS["registry"], cfssl_dir, certs_dir)

    after = snapshot(certs_dir)
    for name in [
        "ca.pem",
        "ca-key.pem",
        "intermediate-ca.pem",
        "intermediate-ca-key.pem",
    ]:
        assert after[name] == before[name]
    assert after["registry.pem"] != before["registry.pem"]


def test_rsa_keys_are_issued_when_the_csr_asks_for_them(
    cfssl_dir, certs_dir, edit_json
):
    edit_json(
        cfssl_dir / "registry.json",
        lambda data: data.update(key={"algo": "rsa", "size": 2048}),
    )

    issue_certificate(SPECS["registry"], cfssl_dir, certs_dir)

    public_key = certificate(certs_dir, "registry").public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048


def set_usage(data):
    data["signing"]["profiles"]["server"]["usages"][2] = "sever auth"


def set_peer_expiry(data):
    data["signing"]["profiles"]["peer"]["expiry"] = "1y"


def drop_server_profile(data):
    del data["signing"]["profiles"]["server"]


def add_host(host: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["hosts"].append(host)


BAD_INPUTS = [
    pytest.param(
        "registry",
        "registry.json",
        lambda data: data.pop("CN"),
        "registry.json: CN: is missing",
        id="missing-CN",
    ),
    pytest.param(
        "registry",
        "registry.json",
        add_host("10.0.0.300"),
        'registry.json: hosts[7]: "10.0.0.300" looks like an IP address',
        id="invalid-ip",
    ),
    pytest.param(
        "registry",
        "registry.json",
        add_host("my mirror"),
        'registry.json: hosts[7]: "my mirror" is neither a DNS name',
        id="invalid-host",
    ),
    pytest.param(
        "registry",
        "registry.json",
        lambda data: data.update(hosts="localhost"),
        "registry.json: hosts: is a string",
        id="hosts-not-a-list",
    ),
    pytest.param(
        "registry",
        "registry.json",
        lambda data: data["key"].update(algo="dsa"),
        'registry.json: key.algo: "dsa" is not a key algorithm',
        id="unknown-algo",
    ),
    pytest.param(
        "registry",
        "registry.json",
        lambda data: data.update(key={"algo": "rsa", "size": 1024}),
        "registry.json: key.size: 1024 is not an rsa key size",
        id="weak-rsa",
    ),
    pytest.param(
        "registry",
        "registry.json",
        lambda data: data["key"].update(size=512),
        "registry.json: key.size: 512 is not an ecdsa key size",
        id="unknown-curve",
    ),
    pytest.param(
        "registry",
        "cfssl.json",
        set_usage,
        'cfssl.json: signing.profiles.server.usages[2]: "sever auth" is not a cfssl '
        "usage. Use one of: signing, digital signature",
        id="unknown-usage",
    ),
    pytest.param(
        "registry",
        "cfssl.json",
        set_peer_expiry,
        'cfssl.json: signing.profiles.peer.expiry: "1y" is not a positive Go duration',
        id="expiry-in-another-profile",
    ),
    pytest.param(
        "registry",
        "cfssl.json",
        drop_server_profile,
        'cfssl.json: signing.profiles: has no profile "server"',
        id="unknown-profile",
    ),
    pytest.param(
        "ca",
        "ca.json",
        lambda data: data["ca"].update(expiry="ten years"),
        'ca.json: ca.expiry: "ten years" is not a positive Go duration',
        id="root-expiry",
    ),
]


@pytest.mark.parametrize(("name", "file", "change", "message"), BAD_INPUTS)
def test_bad_input_names_file_and_key_and_leaves_certificates_untouched(
    cfssl_dir, certs_dir, edit_json, name, file, change, message
):
    before = snapshot(certs_dir)
    edit_json(cfssl_dir / file, change)

    with pytest.raises(PkiInputError) as raised:
        issue_certificate(SPECS[name], cfssl_dir, certs_dir)

    assert message in str(raised.value)
    assert str(cfssl_dir / file) in str(raised.value)
    assert snapshot(certs_dir) == before


def test_malformed_json_names_file_and_line_and_leaves_certificates_untouched(
    cfssl_dir, certs_dir
):
    before = snapshot(certs_dir)
    (cfssl_dir / "registry.json").write_text('{\n  "CN": "registry",\n}\n')

    with pytest.raises(PkiInputError, match=r"registry\.json: line 3 column 1: not"):
        issue_certificate(SPECS["registry"], cfssl_dir, certs_dir)

    assert snapshot(certs_dir) == before


def test_issuing_a_leaf_before_its_issuer_names_the_missing_file(cfssl_dir, tmp_path):
    with pytest.raises(CertificateError, match=r"intermediate-ca\.pem is missing"):
        issue_certificate(SPECS["registry"], cfssl_dir, tmp_path / "empty")

    assert not (tmp_path / "empty").exists()


def test_cfssl_backend_without_cfssl_says_how_to_do_without(
    cfssl_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries"))

    with pytest.raises(PkiInputError, match=r'\[pki\] backend = "cryptography"'):
        issue_certificate(SPECS["ca"], cfssl_dir, tmp_path / "certs", backend="cfssl")


def test_inputs_are_the_csr_the_profile_file_and_the_issuer(cfssl_dir, certs_dir):
    spec = CertificateSpec("registry", "registry.json", "server", "intermediate-ca")

    inputs = spec.inputs(cfssl_dir, certs_dir)

    assert inputs == [
        cfssl_dir / "registry.json",
        cfssl_dir / "cfssl.json",
        certs_dir / "intermediate-ca.pem",
        certs_dir / "intermediate-ca-key.pem",
    ]


def test_root_inputs_are_only_its_csr(cfssl_dir, certs_dir):
    assert SPECS["ca"].inputs(cfssl_dir, certs_dir) == [cfssl_dir / "ca.json"]
