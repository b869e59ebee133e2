"""Issuing certificates by running the cfssl binary, for users who ask for it."""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import subprocess
from pathlib import Path

from cryptography import x509

from mirrorstack.errors import PkiInputError
from mirrorstack.pki.pem_files import PrivateKey, parse_certificates, parse_key
from mirrorstack.pki.specs import (
    SIGNING_CONFIG,
    CertificateSpec,
    certificate_file,
    key_file,
)

logger = logging.getLogger(__name__)

_USE_PYTHON = 'or set [pki] backend = "cryptography" in config/settings.toml'


def issue_with_cfssl(
    spec: CertificateSpec, is_ca: bool, cfssl_dir: Path, certs_dir: Path
) -> tuple[x509.Certificate, PrivateKey]:
    """Have cfssl issue spec's certificate; is_ca says its profile makes a CA."""
    cfssl = _find_cfssl()
    csr_file = str(cfssl_dir / spec.csr)
    if spec.issuer is None or spec.profile is None:
        return _parse(_run([cfssl, "gencert", "-initca", csr_file]))
    signing = [
        *("-ca", str(certificate_file(spec.issuer, certs_dir))),
        *("-ca-key", str(key_file(spec.issuer, certs_dir))),
        *("-config", str(cfssl_dir / SIGNING_CONFIG)),
        *("-profile", spec.profile),
    ]
    if not is_ca:
        return _parse(_run([cfssl, "gencert", *signing, csr_file]))
    # gencert refuses to make a CA under another CA; cfssl's way is a key and
    # CSR from gencert -initca (its self-signed certificate is dropped), then
    # `sign` with the CA profile.
    generated = _run([cfssl, "gencert", "-initca", csr_file])
    signed = _run([cfssl, "sign", *signing, "-"], stdin=generated.get("csr", ""))
    return _parse({"cert": signed.get("cert", ""), "key": generated.get("key", "")})


def _find_cfssl() -> str:
    found = shutil.which("cfssl")
    if found is None:
        raise PkiInputError(
            "cfssl is not on PATH. Install it (go install "
            f"github.com/cloudflare/cfssl/cmd/cfssl@v1.6.5) {_USE_PYTHON}."
        )
    return found


def _run(command: list[str], stdin: str | None = None) -> dict[str, str]:
    shown = shlex.join(command)
    logger.info("running %s", shown)
    result = subprocess.run(
        command, input=stdin, capture_output=True, text=True, check=False
    )
    logger.debug("%s said: %s", shown, result.stderr)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no message"]
        raise PkiInputError(
            f"`{shown}` failed: {lines[-1]}. Fix what it names, {_USE_PYTHON}."
        )
    try:
        output = json.loads(result.stdout)
    except json.JSONDecodeError:
        output = None
    if not isinstance(output, dict):
        raise PkiInputError(
            f"`{shown}` printed no JSON object. Check that `cfssl version` runs, "
            f"{_USE_PYTHON}."
        )
    return {name: str(value) for name, value in output.items()}


def _parse(output: dict[str, str]) -> tuple[x509.Certificate, PrivateKey]:
    certificate = parse_certificates(output.get("cert", "").encode(), "cfssl's cert")
    return certificate[0], parse_key(output.get("key", "").encode(), "cfssl's key")
