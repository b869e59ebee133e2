"""cfssl's usage words and the X.509 key usages they stand for."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

# cfssl's words for key usage bits, mapped to cryptography's KeyUsage fields.
KEY_USAGES: dict[str, str] = {
    "signing": "digital_signature",
    "digital signature": "digital_signature",
    "content commitment": "content_commitment",
    "key encipherment": "key_encipherment",
    "key agreement": "key_agreement",
    "data encipherment": "data_encipherment",
    "cert sign": "key_cert_sign",
    "crl sign": "crl_sign",
    "encipher only": "encipher_only",
    "decipher only": "decipher_only",
}

EXTENDED_KEY_USAGES: dict[str, ObjectIdentifier] = {
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    "server auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "s/mime": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "ipsec end system": ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
    "ipsec tunnel": ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
    "ipsec user": ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "microsoft sgc": ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    "netscape sgc": ObjectIdentifier("2.16.840.1.113730.4.1"),
}

_KEY_USAGE_FIELDS = tuple(dict.fromkeys(KEY_USAGES.values()))


def key_usage(fields: frozenset[str]) -> x509.KeyUsage:
    """The KeyUsage extension with exactly the named fields set."""
    return x509.KeyUsage(**{field: field in fields for field in _KEY_USAGE_FIELDS})


def key_usage_fields(extension: x509.KeyUsage) -> frozenset[str]:
    """The names of the fields set in a KeyUsage extension."""
    # encipher_only and decipher_only raise unless key_agreement is set.
    return frozenset(
        field
        for field in _KEY_USAGE_FIELDS
        if field not in ("encipher_only", "decipher_only") or extension.key_agreement
        if getattr(extension, field)
    )


def usage_word(oid: ObjectIdentifier) -> str:
    """cfssl's word for an extended key usage, or its dotted OID."""
    words = [word for word, known in EXTENDED_KEY_USAGES.items() if known == oid]
    return words[0] if words else oid.dotted_string
