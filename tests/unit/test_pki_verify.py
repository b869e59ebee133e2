from __future__ import annotations

import shutil

from mirrorstack.pki import (
    CERTIFICATES,
    CHAIN_FILE,
    expires_within,
    issue_certificate,
    verify_certificates,
)

SPECS = {spec.name: spec for spec in CERTIFICATES}


def test_a_freshly_issued_chain_verifies_without_problems(cfssl_dir, certs_dir):
    assert verify_certificates(cfssl_dir, certs_dir) == []


def test_host_added_to_registry_json_after_issuing_is_reported_missing(
    cfssl_dir, certs_dir, edit_json
):
    edit_json(
        cfssl_dir / "registry.json",
        lambda data: data["hosts"].extend(["mirror.lan", "10.0.0.5"]),
    )

    problems = verify_certificates(cfssl_dir, certs_dir)

    registry_problems = [p for p in problems if p.startswith(f"{certs_dir}/registry")]
    assert len(registry_problems) == 2  # registry.pem and registry-peer.pem
    assert "missing 10.0.0.5, mirror.lan" in registry_problems[0]
    assert "invoke certs" in registry_problems[0]


def test_host_removed_from_registry_json_after_issuing_is_reported_extra(
    cfssl_dir, certs_dir, edit_json
):
    edit_json(cfssl_dir / "registry.json", lambda data: data["hosts"].remove("front"))

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert any("registry.pem" in p and "extra front" in p for p in problems)


def test_key_readable_by_others_is_reported_with_the_chmod_that_fixes_it(
    cfssl_dir, certs_dir
):
    key = certs_dir / "registry-key.pem"
    key.chmod(0o644)

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert problems == [
        f"{key} has mode 0644; a private key must be 0600. Run `chmod 600 {key}`."
    ]


def test_key_of_another_certificate_is_reported(cfssl_dir, certs_dir):
    shutil.copy(certs_dir / "client-key.pem", certs_dir / "registry-key.pem")

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert any("registry-key.pem does not belong to" in p for p in problems)


def test_chain_file_in_the_wrong_order_is_reported(cfssl_dir, certs_dir):
    chain = certs_dir / CHAIN_FILE
    chain.write_bytes(
        (certs_dir / "intermediate-ca.pem").read_bytes()
        + (certs_dir / "registry.pem").read_bytes()
    )

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert problems == [
        f"{chain} must hold registry.pem then intermediate-ca.pem, nothing else. "
        "Run `invoke certs` to issue it again."
    ]


def test_leaves_of_a_replaced_intermediate_fail_their_signature_check(
    cfssl_dir, certs_dir
):
    issue_certificate(SPECS["intermediate-ca"], cfssl_dir, certs_dir)

    problems = verify_certificates(cfssl_dir, certs_dir)

    broken = [p for p in problems if "signature does not verify" in p]
    assert len(broken) == 3  # registry, registry-peer and client


def test_profile_without_server_auth_is_reported_on_the_registry(
    cfssl_dir, certs_dir, edit_json
):
    def drop_server_auth(data):
        data["signing"]["profiles"]["server"]["usages"].remove("server auth")

    edit_json(cfssl_dir / "cfssl.json", drop_server_auth)
    issue_certificate(SPECS["registry"], cfssl_dir, certs_dir)

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert any(
        "registry.pem: lacks the usages server auth" in p and '"server"' in p
        for p in problems
    )


def test_certificates_inside_the_renewal_window_are_reported(cfssl_dir, certs_dir):
    problems = verify_certificates(cfssl_dir, certs_dir, renewal_days=400)

    assert len([p for p in problems if "within 400 days" in p]) == 3


def test_missing_certificate_is_reported(cfssl_dir, certs_dir):
    (certs_dir / "client.pem").unlink()

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert problems == [
        f"{certs_dir / 'client.pem'} is missing. Run `invoke certs` to issue it again."
    ]


def test_fresh_certificate_does_not_expire_within_the_renewal_window(shared_certs_dir):
    assert not expires_within(shared_certs_dir / "registry.pem", 30)


def test_one_year_certificate_expires_within_four_hundred_days(shared_certs_dir):
    assert expires_within(shared_certs_dir / "registry.pem", 400)


def test_missing_certificate_counts_as_expiring(tmp_path):
    assert expires_within(tmp_path / "registry.pem", 30)


def test_unreadable_certificate_counts_as_expiring(tmp_path):
    garbage = tmp_path / "registry.pem"
    garbage.write_text("not a certificate")

    assert expires_within(garbage, 30)


def test_intermediate_without_cert_sign_is_reported(cfssl_dir, certs_dir, edit_json):
    def drop_cert_sign(data):
        data["signing"]["profiles"]["intermediate_ca"]["usages"].remove("cert sign")

    edit_json(cfssl_dir / "cfssl.json", drop_cert_sign)
    issue_certificate(SPECS["intermediate-ca"], cfssl_dir, certs_dir)

    problems = verify_certificates(cfssl_dir, certs_dir)

    assert any(
        p.startswith(f"{certs_dir / 'intermediate-ca.pem'}: cannot sign certificates")
        for p in problems
    )
