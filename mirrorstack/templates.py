"""Rendering Jinja2 templates strictly: an unknown name is an error, not a blank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2


def render_template(template: Path, context: dict[str, Any]) -> str:
    """Render one template file with the given values."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["tojson"] = json.dumps
    return environment.get_template(template.name).render(**context)
