"""Reading and checking cfssl's JSON inputs: CSR files and the signing config.

Everything is checked here, before any key is generated or file written, so a
mistake in a JSON file leaves the certificates already issued untouched. Each
error names the file, the key inside it and the fix.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from mirrorstack.errors import PkiInputError
from mirrorstack.pki.durations import parse_go_duration
from mirrorstack.pki.usages import EXTENDED_KEY_USAGES, KEY_USAGES

logger = logging.getLogger(__name__)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Value = TypeVar("Value")

KEY_SIZES = {"ecdsa": (256, 384, 521), "rsa": (2048, 3072, 4096)}
# cfssl gencert -initca gives a root five years when ca.json names no expiry.
INITCA_EXPIRY = timedelta(hours=43800)

_NAME_FIELDS = (
    ("C", NameOID.COUNTRY_NAME),
    ("ST", NameOID.STATE_OR_PROVINCE_NAME),
    ("L", NameOID.LOCALITY_NAME),
    ("O", NameOID.ORGANIZATION_NAME),
    ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
)
_CSR_KEYS = frozenset({"CN", "names", "hosts", "key", "ca"})
_PROFILE_KEYS = frozenset({"usages", "expiry", "ca_constraint"})
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_DNS_NAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\.?")
_IP_LOOKING = re.compile(r"[0-9.]+|.*:.*")


@dataclass(frozen=True)
class KeyRequest:
    algo: str
    size: int


@dataclass(frozen=True)
class CertificateRequest:
    """What a cfssl CSR file asks for."""

    subject: x509.Name
    dns_names: tuple[str, ...]
    ip_addresses: tuple[IpAddress, ...]
    key: KeyRequest
    ca_expiry: timedelta
    ca_path_length: int | None


@dataclass(frozen=True)
class SigningProfile:
    """A cfssl.json profile: what a certificate signed with it may do."""

    key_usages: frozenset[str]
    extended_key_usages: tuple[ObjectIdentifier, ...]
    expiry: timedelta
    is_ca: bool
    path_length: int | None


@dataclass(frozen=True)
class SigningConfig:
    path: Path
    profiles: Mapping[str, SigningProfile]

    def profile(self, name: str) -> SigningProfile:
        if name not in self.profiles:
            _At(self.path, "signing.profiles").fail(
                f'has no profile "{name}", which mirrorstack signs with',
                f'Add a "{name}" profile, or restore cfssl.json from git',
            )
        return self.profiles[name]


@dataclass(frozen=True)
class _At:
    """A place in a JSON file, so that a message can name the file and key."""

    path: Path
    key: str = ""

    def child(self, key: str | int) -> _At:
        if isinstance(key, int):
            return _At(self.path, f"{self.key}[{key}]")
        return _At(self.path, f"{self.key}.{key}" if self.key else key)

    def fail(self, problem: str, fix: str) -> NoReturn:
        raise PkiInputError(f"{self.path}: {self.key}: {problem}. {fix}.")


def load_certificate_request(path: Path) -> CertificateRequest:
    """Read and check a cfssl CSR file such as registry.json."""
    data = _read_json(path)
    at = _At(path)
    _warn_ignored(data, _CSR_KEYS, at)
    common_name = _require(data, "CN", at, str, '"CN": "mirrorstack-registry"')
    if not common_name.strip():
        at.child("CN").fail("is empty", "Write the certificate's common name")
    dns_names, ip_addresses = _hosts(data, at)
    ca = _get(data, "ca", at, dict) or {}
    ca_at = at.child("ca")
    ca_expiry = _get(ca, "expiry", ca_at, str)
    return CertificateRequest(
        subject=_subject(common_name, data, at),
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        key=_key_request(data, at),
        ca_expiry=INITCA_EXPIRY
        if ca_expiry is None
        else _expiry(ca_expiry, ca_at.child("expiry")),
        ca_path_length=_path_length(ca, "pathlen", "pathlenzero", ca_at),
    )


def root_profile(request: CertificateRequest) -> SigningProfile:
    """The profile cfssl gencert -initca applies to a self-signed root."""
    return SigningProfile(
        key_usages=frozenset({"key_cert_sign", "crl_sign"}),
        extended_key_usages=(),
        expiry=request.ca_expiry,
        is_ca=True,
        path_length=request.ca_path_length,
    )


def load_signing_config(path: Path) -> SigningConfig:
    """Read and check cfssl.json: every profile, used or not."""
    data = _read_json(path)
    at = _At(path)
    signing = _require(data, "signing", at, dict, '"signing": {"profiles": {}}')
    signing_at = at.child("signing")
    default = _get(signing, "default", signing_at, dict)
    if default is not None:
        _check_default(default, signing_at.child("default"))
    profiles = _get(signing, "profiles", signing_at, dict) or {}
    profiles_at = signing_at.child("profiles")
    parsed: dict[str, SigningProfile] = {}
    for name, body in profiles.items():
        if not isinstance(body, dict):
            profiles_at.child(name).fail(f"is {_kind(body)}", "Write an object")
        parsed[name] = _profile(body, profiles_at.child(name))
    return SigningConfig(path, parsed)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PkiInputError(
            f"{path} is missing. Restore it from git, or write it in cfssl's format."
        ) from None
    except json.JSONDecodeError as error:
        raise PkiInputError(
            f"{path}: line {error.lineno} column {error.colno}: not valid JSON "
            f"({error.msg}). Fix the syntax; cfssl's files are plain JSON."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PkiInputError(f"{path} cannot be read ({error}). Fix it.") from None
    if not isinstance(data, dict):
        raise PkiInputError(
            f"{path}: the file holds {_kind(data)}, not an object. "
            "Write it in cfssl's format, one JSON object."
        )
    return data


def _get(mapping: dict[str, Any], key: str, at: _At, kind: type[Value]) -> Value | None:
    if key not in mapping:
        return None
    value = mapping[key]
    # JSON true and false are ints to Python; a size of true is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        at.child(key).fail(
            f"is {_kind(value)}", f"Write {_KIND_NAMES[kind]} there, as cfssl expects"
        )
    return value


def _require(
    mapping: dict[str, Any], key: str, at: _At, kind: type[Value], example: str
) -> Value:
    value = _get(mapping, key, at, kind)
    if value is None:
        at.child(key).fail("is missing", f"Add it, for example {example}")
    return value


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return f"the number {value}"
    return _KIND_NAMES.get(type(value), type(value).__name__)


def _warn_ignored(mapping: dict[str, Any], known: frozenset[str], at: _At) -> None:
    for key in sorted(set(mapping) - known):
        logger.warning("%s: %s is not used by mirrorstack; ignoring it", at.path, key)


def _subject(common_name: str, data: dict[str, Any], at: _At) -> x509.Name:
    # cfssl gathers each field over all "names" entries, then orders the fields
    # the way Go's pkix.Name does: C, ST, L, O, OU, then CN.
    values: dict[str, list[str]] = {field: [] for field, _ in _NAME_FIELDS}
    names_at = at.child("names")
    for index, entry in enumerate(_get(data, "names", at, list) or []):
        entry_at = names_at.child(index)
        if not isinstance(entry, dict):
            entry_at.fail(f"is {_kind(entry)}", 'Write an object like {"O": "me"}')
        for field, _ in _NAME_FIELDS:
            value = _get(entry, field, entry_at, str)
            if value:
                values[field].append(value)
    for country in values["C"]:
        if len(country) != 2:
            names_at.fail(
                f'C "{country}" is not a two-letter country code', 'Use one like "US"'
            )
    rdns = [
        x509.RelativeDistinguishedName(
            [x509.NameAttribute(oid, value) for value in dict.fromkeys(values[field])]
        )
        for field, oid in _NAME_FIELDS
        if values[field]
    ]
    rdns.append(
        x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        )
    )
    return x509.Name(rdns)


def _hosts(
    data: dict[str, Any], at: _At
) -> tuple[tuple[str, ...], tuple[IpAddress, ...]]:
    dns_names: list[str] = []
    ip_addresses: list[IpAddress] = []
    hosts_at = at.child("hosts")
    for index, host in enumerate(_get(data, "hosts", at, list) or []):
        host_at = hosts_at.child(index)
        if not isinstance(host, str):
            host_at.fail(f"is {_kind(host)}", "Write a DNS name or an IP address")
        if _IP_LOOKING.fullmatch(host):
            ip_addresses.append(_ip_address(host, host_at))
        elif _DNS_NAME.fullmatch(host):
            dns_names.append(host)
        else:
            host_at.fail(
                f'"{host}" is neither a DNS name nor an IP address',
                "mirrorstack puts only those in certificates; correct or remove it",
            )
    return tuple(dict.fromkeys(dns_names)), tuple(dict.fromkeys(ip_addresses))


def _ip_address(host: str, at: _At) -> IpAddress:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        at.fail(
            f'"{host}" looks like an IP address but is not a valid one',
            "Correct the address (each IPv4 part is 0 to 255), or remove it",
        )


def _key_request(data: dict[str, Any], at: _At) -> KeyRequest:
    key = _get(data, "key", at, dict)
    if key is None:
        return KeyRequest("ecdsa", 256)
    key_at = at.child("key")
    algo = _require(key, "algo", key_at, str, '"algo": "ecdsa"')
    if algo not in KEY_SIZES:
        key_at.child("algo").fail(
            f'"{algo}" is not a key algorithm cfssl knows', 'Use "ecdsa" or "rsa"'
        )
    size = _require(key, "size", key_at, int, '"size": 256')
    if size not in KEY_SIZES[algo]:
        key_at.child("size").fail(
            f"{size} is not an {algo} key size mirrorstack issues",
            f"Use one of: {', '.join(str(size) for size in KEY_SIZES[algo])}",
        )
    return KeyRequest(algo, size)


def _expiry(text: str, at: _At) -> timedelta:
    duration = parse_go_duration(text)
    if duration is None or duration <= timedelta(0):
        at.fail(
            f'"{text}" is not a positive Go duration',
            'Write hours like "8760h" (one year); Go durations have no days',
        )
    return duration


def _path_length(
    mapping: dict[str, Any], length_key: str, zero_key: str, at: _At
) -> int | None:
    # As in Go's x509: a length of 0 means "no limit" unless the zero flag says
    # that 0 is meant literally.
    length = _get(mapping, length_key, at, int) or 0
    if length > 0:
        return length
    return 0 if _get(mapping, zero_key, at, bool) else None


def _check_default(default: dict[str, Any], at: _At) -> None:
    _expiry(
        _require(default, "expiry", at, str, '"expiry": "8760h"'), at.child("expiry")
    )
    if "usages" in default:
        _usages(default, at)


def _profile(body: dict[str, Any], at: _At) -> SigningProfile:
    _warn_ignored(body, _PROFILE_KEYS, at)
    key_usages, extended_key_usages = _usages(body, at)
    expiry = _require(body, "expiry", at, str, '"expiry": "8760h"')
    constraint = _get(body, "ca_constraint", at, dict) or {}
    constraint_at = at.child("ca_constraint")
    return SigningProfile(
        key_usages=key_usages,
        extended_key_usages=extended_key_usages,
        expiry=_expiry(expiry, at.child("expiry")),
        is_ca=bool(_get(constraint, "is_ca", constraint_at, bool)),
        path_length=_path_length(
            constraint, "max_path_len", "max_path_len_zero", constraint_at
        ),
    )


def _usages(
    body: dict[str, Any], at: _At
) -> tuple[frozenset[str], tuple[ObjectIdentifier, ...]]:
    words = _require(body, "usages", at, list, '"usages": ["digital signature"]')
    usages_at = at.child("usages")
    if not words:
        usages_at.fail(
            "is empty", "List what the certificate may do, as cfssl requires"
        )
    key_usages: set[str] = set()
    extended: list[ObjectIdentifier] = []
    for index, word in enumerate(words):
        if word in KEY_USAGES:
            key_usages.add(KEY_USAGES[word])
        elif word in EXTENDED_KEY_USAGES:
            extended.append(EXTENDED_KEY_USAGES[word])
        else:
            shown = json.dumps(word)
            usages_at.child(index).fail(
                f"{shown} is not a cfssl usage",
                f"Use one of: {', '.join([*KEY_USAGES, *EXTENDED_KEY_USAGES])}",
            )
    if key_usages & {"encipher_only", "decipher_only"} and (
        "key_agreement" not in key_usages
    ):
        usages_at.fail(
            '"encipher only" and "decipher only" need "key agreement"',
            'Add "key agreement", or remove them',
        )
    return frozenset(key_usages), tuple(dict.fromkeys(extended))
