"""Every Prometheus panel of the registry dashboard shows data after one pull.

Grafana's image cannot be had here, so the panels' queries are run against the
real Prometheus of the stack, which is what Grafana would ask.
"""

from __future__ import annotations

import json
import time

import docker
import pytest

from mirrorstack.prometheus_api import query
from tests.e2e.test_mirror import SAMPLE, SAMPLE_TAG

pytestmark = pytest.mark.e2e


def prometheus_panels(project):
    dashboard = json.loads(
        (
            project.root / "config" / "grafana" / "dashboards" / "registry.json"
        ).read_text()
    )
    for panel in dashboard["panels"]:
        if panel.get("datasource", {}).get("uid") == "prometheus":
            yield panel["title"], [target["expr"] for target in panel["targets"]]


def test_every_prometheus_panel_returns_data_after_a_pull(
    project, configuration, configured_daemon
):
    docker.from_env().images.pull(SAMPLE, tag=SAMPLE_TAG)
    panels = list(prometheus_panels(project))

    empty = []
    deadline = time.monotonic() + 90
    for title, expressions in panels:
        while True:
            results = [
                query(configuration.settings, expression.replace("$job", "mirror"))
                for expression in expressions
            ]
            if any(results) or time.monotonic() > deadline:
                break
            time.sleep(3)
        if not any(results):
            empty.append(title)

    assert panels
    assert empty == []
