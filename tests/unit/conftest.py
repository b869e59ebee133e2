"""PKI fixtures: a copy of the repo's cfssl inputs and a chain issued from it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mirrorstack.pki import CERTIFICATES, issue_certificate, write_chain

REPO_CFSSL_DIR = Path(__file__).resolve().parents[2] / "cfssl"

EditJson = Callable[[Path, Callable[[dict[str, Any]], None]], None]


@pytest.fixture
def cfssl_dir(tmp_path: Path) -> Path:
    """The repo's own cfssl inputs, copied so a test may edit them."""
    return Path(shutil.copytree(REPO_CFSSL_DIR, tmp_path / "cfssl"))


def issue_chain(cfssl_dir: Path, certs_dir: Path) -> Path:
    for spec in CERTIFICATES:
        issue_certificate(spec, cfssl_dir, certs_dir)
    write_chain(certs_dir)
    return certs_dir


@pytest.fixture
def certs_dir(tmp_path: Path, cfssl_dir: Path) -> Path:
    """A full chain and the chain file, freshly issued, for a test to change."""
    return issue_chain(cfssl_dir, tmp_path / "certs")


@pytest.fixture(scope="session")
def shared_certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chain issued once from the repo's inputs, for tests that only read it."""
    return issue_chain(REPO_CFSSL_DIR, tmp_path_factory.mktemp("shared-certs"))


@pytest.fixture
def edit_json() -> EditJson:
    """Change a JSON file in place through a function that mutates its data."""

    def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data, indent=2))

    return edit
