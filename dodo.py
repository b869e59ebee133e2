"""doit tasks: certificates and rendered configuration as an incremental file graph.

`doit` with nothing changed executes nothing. A certificate is issued again when
its inputs change or it expires within the renewal window; a rendered file when
its template or the exact values fed to it change.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed
from doit.tools import config_changed

from mirrorstack import pki, render, secrets
from mirrorstack.errors import MirrorstackError
from mirrorstack.pki.specs import CHAIN_MEMBERS, certificate_file
from mirrorstack.settings import Configuration, Project, load

ROOT = Path(__file__).resolve().parent
PROJECT = Project(ROOT)

DOIT_CONFIG = {
    "default_tasks": ["env", "certs", "render"],
    "dep_file": str(ROOT / ".doit.db"),
    "backend": "json",
    "verbosity": 1,
}


def _configuration() -> Configuration:
    try:
        return load(PROJECT)
    except MirrorstackError as error:
        sys.exit(f"error: {error}")


def _failing_on_user_error(action: Any, *arguments: Any) -> TaskFailed | None:
    try:
        action(*arguments)
    except MirrorstackError as error:
        return TaskFailed(str(error))
    return None


def _not_expiring(certificate: Path, days: int) -> bool:
    return not pki.expires_within(certificate, days)


def task_env() -> dict[str, Any]:
    """Create .env with a generated Grafana admin password when it is missing."""
    return {
        "actions": [(secrets.ensure_env_file, [PROJECT])],
        "targets": [str(PROJECT.env_file)],
        "uptodate": [PROJECT.env_file.exists],
    }


def task_certs() -> Iterator[dict[str, Any]]:
    """Issue the root CA, the intermediate and the leaf certificates."""
    configuration = _configuration()
    backend = configuration.settings.pki.backend
    renewal_days = configuration.settings.pki.renewal_days
    cfssl_dir, certs_dir = PROJECT.cfssl_dir, PROJECT.certs_dir
    for spec in pki.CERTIFICATES:
        certificate = spec.certificate(certs_dir)
        yield {
            "name": certificate.name,
            "actions": [
                (
                    _failing_on_user_error,
                    [pki.issue_certificate, spec, cfssl_dir, certs_dir, backend],
                )
            ],
            "file_dep": [str(path) for path in spec.inputs(cfssl_dir, certs_dir)],
            "targets": [str(certificate), str(spec.key(certs_dir))],
            "uptodate": [(_not_expiring, [certificate, renewal_days])],
            "clean": True,
        }

    chain = certs_dir / pki.CHAIN_FILE
    yield {
        "name": chain.name,
        "actions": [(pki.write_chain, [certs_dir])],
        "file_dep": [str(certificate_file(name, certs_dir)) for name in CHAIN_MEMBERS],
        "targets": [str(chain)],
        "clean": True,
    }


def task_render() -> Iterator[dict[str, Any]]:
    """Render the compose file and every service's configuration into build/."""
    configuration = _configuration()
    for output in render.OUTPUTS:
        yield {
            "name": output.target,
            "actions": [(render.render_output, [output, configuration])],
            "file_dep": [
                str(ROOT / path) for path in (output.template, *output.inputs)
            ],
            "targets": [str(PROJECT.build_dir / output.target)],
            "uptodate": [config_changed(output.values(configuration))],
            "clean": True,
        }

    yield {
        "name": "secrets",
        "actions": [
            (_failing_on_user_error, [secrets.write_service_env_files, PROJECT])
        ],
        "file_dep": [str(PROJECT.env_file)],
        "targets": [
            str(PROJECT.build_dir / "secrets" / "mirror.env"),
            str(PROJECT.build_dir / "secrets" / "grafana.env"),
        ],
        "clean": True,
    }

    yield {
        "name": "profile",
        "actions": [(render.record_profile, [configuration])],
        "targets": [str(PROJECT.rendered_profile_file)],
        "uptodate": [config_changed(configuration.profile)],
        "clean": True,
    }
