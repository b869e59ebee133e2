from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mirrorstack.errors import PkiInputError
from mirrorstack.pki.cfssl_inputs import (
    KeyRequest,
    load_certificate_request,
    load_signing_config,
)
from mirrorstack.pki.durations import parse_go_duration


def test_registry_hosts_split_into_dns_names_and_ip_addresses(cfssl_dir):
    request = load_certificate_request(cfssl_dir / "registry.json")

    assert request.dns_names == (
        "localhost",
        "mirror",
        "push-registry",
        "registry",
        "front",
    )
    assert request.ip_addresses == (
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    )


def test_subject_orders_fields_like_cfssl(cfssl_dir):
    request = load_certificate_request(cfssl_dir / "registry.json")

    oids = [attribute.oid for attribute in request.subject]

    assert oids == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.COMMON_NAME,
    ]


def test_csr_without_key_block_asks_for_ecdsa_p256(cfssl_dir, edit_json):
    edit_json(cfssl_dir / "client.json", lambda data: data.pop("key"))

    request = load_certificate_request(cfssl_dir / "client.json")

    assert request.key == KeyRequest("ecdsa", 256)


@pytest.mark.parametrize(
    ("profile", "key_usages", "extended_key_usages"),
    [
        (
            "intermediate_ca",
            {"digital_signature", "key_cert_sign", "crl_sign"},
            (),
        ),
        (
            "server",
            {"digital_signature", "key_encipherment"},
            (ExtendedKeyUsageOID.SERVER_AUTH,),
        ),
        (
            "peer",
            {"digital_signature", "key_encipherment"},
            (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
        ),
        (
            "client",
            {"digital_signature", "key_encipherment"},
            (ExtendedKeyUsageOID.CLIENT_AUTH,),
        ),
    ],
)
def test_profile_usages_map_to_key_usages_and_extended_key_usages(
    cfssl_dir, profile, key_usages, extended_key_usages
):
    config = load_signing_config(cfssl_dir / "cfssl.json")

    parsed = config.profile(profile)

    assert parsed.key_usages == key_usages
    assert parsed.extended_key_usages == extended_key_usages


def test_signing_is_cfssls_other_word_for_digital_signature(cfssl_dir, edit_json):
    def use_signing(data):
        data["signing"]["profiles"]["server"]["usages"] = ["signing", "server auth"]

    edit_json(cfssl_dir / "cfssl.json", use_signing)

    config = load_signing_config(cfssl_dir / "cfssl.json")

    assert config.profile("server").key_usages == {"digital_signature"}


def test_intermediate_profile_asks_for_path_length_zero(cfssl_dir):
    profile = load_signing_config(cfssl_dir / "cfssl.json").profile("intermediate_ca")

    assert profile.is_ca
    assert profile.path_length == 0


@pytest.mark.parametrize(
    ("ca_block", "path_length"),
    [
        ({"pathlen": 1}, 1),
        ({"pathlen": 0, "pathlenzero": True}, 0),
        ({"pathlen": 0}, None),
        ({}, None),
    ],
)
def test_ca_pathlen_zero_means_unlimited_unless_pathlenzero_is_set(
    cfssl_dir, edit_json, ca_block, path_length
):
    edit_json(cfssl_dir / "ca.json", lambda data: data.update(ca=ca_block))

    request = load_certificate_request(cfssl_dir / "ca.json")

    assert request.ca_path_length == path_length


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("8760h", timedelta(days=365)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("0", timedelta(0)),
    ],
)
def test_go_durations_parse_as_go_reads_them(text, duration):
    assert parse_go_duration(text) == duration


@pytest.mark.parametrize("text", ["1y", "365d", "8760", "h", "-1h", "1 h", ""])
def test_text_go_would_refuse_is_not_a_duration(text):
    assert parse_go_duration(text) is None


def test_unknown_profile_is_named_with_the_profiles_there_are(cfssl_dir):
    config = load_signing_config(cfssl_dir / "cfssl.json")

    with pytest.raises(PkiInputError, match=r'signing\.profiles: has no profile "www"'):
        config.profile("www")


def test_missing_csr_file_says_to_restore_it(cfssl_dir):
    (cfssl_dir / "client.json").unlink()

    with pytest.raises(PkiInputError, match=r"client\.json is missing"):
        load_certificate_request(cfssl_dir / "client.json")
