"""Monitoring configs render from settings into what Loki, Alloy and Grafana read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mirrorstack.settings import Project, Settings, load
from mirrorstack.templates import render_template

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
LOKI_TEMPLATE = CONFIG / "loki" / "loki-config.yaml.j2"
ALLOY_TEMPLATE = CONFIG / "alloy" / "config.alloy.j2"
DATASOURCES_TEMPLATE = (
    CONFIG / "grafana" / "provisioning" / "datasources" / "datasources.yaml.j2"
)
PROVIDERS_TEMPLATE = (
    CONFIG / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml.j2"
)
DASHBOARD = CONFIG / "grafana" / "dashboards" / "registry.json"

# Alloy takes the Docker daemon address as a URL; rootless Docker listens here.
DOCKER_HOST = "unix:///run/user/1000/docker.sock"
PUSH_URL = "http://loki:3100/loki/api/v1/push"
DASHBOARDS_PATH = "/var/lib/grafana/dashboards"
DATASOURCE_UIDS = {"prometheus", "loki", "jaeger"}

# Every series a Distribution v3.1.2 registry in proxy mode served on its debug
# listener's /metrics after a pull (histograms with their three series each).
REGISTRY_METRICS = {
    "registry_http_in_flight_requests",
    "registry_http_requests_total",
    *(
        f"{histogram}{suffix}"
        for histogram in (
            "registry_http_request_duration_seconds",
            "registry_http_request_size_bytes",
            "registry_http_response_size_bytes",
            "registry_storage_action_seconds",
        )
        for suffix in ("_bucket", "_sum", "_count")
    ),
    "registry_storage_cache_errors_total",
    "registry_storage_cache_hits_total",
    "registry_storage_cache_requests_total",
    "registry_proxy_hits_total",
    "registry_proxy_misses_total",
    "registry_proxy_pulled_bytes_total",
    "registry_proxy_pushed_bytes_total",
    "registry_proxy_requests_total",
}
PROMQL_KEYWORDS = {
    "and",
    "bool",
    "by",
    "group_left",
    "group_right",
    "ignoring",
    "offset",
    "on",
    "or",
    "unless",
    "without",
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load(Project(ROOT), "hub").settings


def _datasources_context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "prometheus_url": "http://prometheus:9090",
        "loki_url": "http://loki:3100",
        "jaeger_url": "http://jaeger:16686",
        "loki_enabled": True,
        "jaeger_enabled": True,
    }
    return context | overrides


def _render_loki(settings: Settings) -> str:
    return render_template(LOKI_TEMPLATE, {"loki": settings.loki.model_dump()})


def _render_alloy(settings: Settings) -> str:
    context = {
        "alloy": settings.alloy.model_dump(),
        "project": settings.stack.project,
        "docker_socket": DOCKER_HOST,
        "loki_push_url": PUSH_URL,
    }
    return render_template(ALLOY_TEMPLATE, context)


def _render_datasources_text(**overrides: Any) -> str:
    return render_template(DATASOURCES_TEMPLATE, _datasources_context(**overrides))


def _render_datasources(**overrides: Any) -> list[dict[str, Any]]:
    text = _render_datasources_text(**overrides)
    datasources: list[dict[str, Any]] = yaml.safe_load(text)["datasources"]
    return datasources


def _render_providers() -> str:
    return render_template(PROVIDERS_TEMPLATE, {"dashboards_path": DASHBOARDS_PATH})


def _dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return dashboard


def _prometheus_exprs() -> list[str]:
    return [
        target["expr"]
        for panel in _dashboard()["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == "prometheus"
    ]


def _metric_names(expr: str) -> set[str]:
    """Name every metric a PromQL expression selects, leaving out labels and calls."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", text)
    text = re.sub(r"\boffset\s+[\w$]+", "", text)
    words = set(re.findall(r"\b[A-Za-z_:][\w:]*\b(?!\s*\()", text))
    return words - PROMQL_KEYWORDS


def _without_comments_and_strings(alloy: str) -> str:
    """Drop comments and string literals, whichever starts first, left to right."""
    return re.sub(r'//[^\n]*|"(?:[^"\\]|\\.)*"|`[^`]*`', "", alloy)


def test_loki_indexes_with_tsdb_schema_v13_on_the_filesystem(settings):
    config = yaml.safe_load(_render_loki(settings))

    (period,) = config["schema_config"]["configs"]
    assert period["store"] == "tsdb"
    assert period["schema"] == "v13"
    assert period["object_store"] == "filesystem"
    assert period["index"]["period"] == "24h"


def test_loki_keeps_its_data_under_the_volume(settings):
    config = yaml.safe_load(_render_loki(settings))

    common = config["common"]
    paths = [
        common["path_prefix"],
        *common["storage"]["filesystem"].values(),
        config["compactor"]["working_directory"],
    ]
    assert all(path.startswith("/loki") for path in paths)


def test_loki_compactor_deletes_logs_older_than_the_retention_setting(settings):
    config = yaml.safe_load(_render_loki(settings))

    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"
    assert config["limits_config"]["retention_period"] == settings.loki.retention


def test_loki_ingestion_limits_equal_the_settings(settings):
    config = yaml.safe_load(_render_loki(settings))

    limits = config["limits_config"]
    assert limits["ingestion_rate_mb"] == settings.loki.ingestion_rate_mb
    assert limits["ingestion_burst_size_mb"] == settings.loki.ingestion_burst_size_mb


def test_loki_runs_alone_without_auth_on_the_configured_port(settings):
    config = yaml.safe_load(_render_loki(settings))

    assert config["auth_enabled"] is False
    assert config["server"]["http_listen_port"] == settings.loki.port
    assert config["common"]["ring"]["kvstore"]["store"] == "inmemory"
    assert config["common"]["replication_factor"] == 1


def test_alloy_reads_containers_through_the_given_socket(settings):
    alloy = _render_alloy(settings)

    hosts = re.findall(r'^\s*host\s*=\s*"([^"]*)"', alloy, flags=re.MULTILINE)
    assert hosts == [DOCKER_HOST, DOCKER_HOST]


def test_alloy_asks_docker_for_this_compose_project_only(settings):
    alloy = _render_alloy(settings)

    project_filter = f'"com.docker.compose.project={settings.stack.project}"'
    assert re.search(
        r'filter\s*\{\s*name\s*=\s*"label"\s*values\s*=\s*\['
        + re.escape(project_filter),
        alloy,
    )


def test_alloy_labels_logs_with_the_compose_service_and_container(settings):
    alloy = _render_alloy(settings)

    assert re.search(
        r"__meta_docker_container_label_com_docker_compose_service\"\]\s*"
        r'target_label\s*=\s*"service"',
        alloy,
    )
    assert re.search(r'target_label\s*=\s*"container"', alloy)


def test_alloy_parses_json_only_from_the_mirror_and_labels_its_level(settings):
    alloy = _render_alloy(settings)

    match = re.search(r"stage\.match\s*\{\s*selector\s*=\s*`([^`]*)`", alloy)
    assert match
    assert match.group(1).startswith('{service="mirror"}')
    assert re.search(r"stage\.json\s*\{[^}]*level\s*=", alloy)
    assert re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{\s*level\s*=", alloy)


def test_alloy_pushes_to_the_given_loki_url(settings):
    alloy = _render_alloy(settings)

    assert f'url = "{PUSH_URL}"' in alloy


def test_alloy_braces_and_brackets_balance(settings):
    code = _without_comments_and_strings(_render_alloy(settings))

    for opening, closing in ("{}", "[]", "()"):
        depth = 0
        for character in code:
            depth += (character == opening) - (character == closing)
            assert depth >= 0
        assert depth == 0


def test_rendered_config_lines_fit_in_100_columns(settings):
    rendered = {
        "loki": _render_loki(settings),
        "alloy": _render_alloy(settings),
        "datasources": _render_datasources_text(),
        "dashboard providers": _render_providers(),
    }

    too_long = [
        (name, line)
        for name, text in rendered.items()
        for line in text.splitlines()
        if len(line) > 100
    ]
    assert too_long == []


def test_datasources_have_the_fixed_uids_once_each():
    datasources = _render_datasources()

    uids = [datasource["uid"] for datasource in datasources]
    assert sorted(uids) == sorted(DATASOURCE_UIDS)


def test_prometheus_is_the_only_default_datasource():
    datasources = _render_datasources()

    defaults = [d["uid"] for d in datasources if d.get("isDefault")]
    assert defaults == ["prometheus"]


def test_datasource_urls_come_from_the_context():
    context = _datasources_context()

    datasources = _render_datasources()

    urls = {datasource["uid"]: datasource["url"] for datasource in datasources}
    assert urls == {
        "prometheus": context["prometheus_url"],
        "loki": context["loki_url"],
        "jaeger": context["jaeger_url"],
    }


def test_loki_datasource_is_absent_when_loki_is_off():
    datasources = _render_datasources(loki_enabled=False)

    assert [d["uid"] for d in datasources] == ["prometheus", "jaeger"]


def test_jaeger_datasource_is_absent_when_jaeger_is_off():
    datasources = _render_datasources(jaeger_enabled=False)

    assert [d["uid"] for d in datasources] == ["prometheus", "loki"]


def test_turning_a_datasource_off_removes_it_from_grafana():
    text = _render_datasources_text(loki_enabled=False)

    assert yaml.safe_load(text)["prune"] is True


def test_dashboard_provider_reads_files_from_the_given_path():
    config = yaml.safe_load(_render_providers())

    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == DASHBOARDS_PATH


def test_dashboard_uid_is_fixed():
    dashboard = _dashboard()

    assert dashboard["uid"] == "mirrorstack-registry"


def test_dashboard_file_is_json_with_two_space_indent():
    text = DASHBOARD.read_text()

    assert text == json.dumps(json.loads(text), indent=2) + "\n"


def test_every_panel_queries_a_provisioned_datasource():
    provisioned = {d["uid"] for d in _render_datasources()}

    panels = _dashboard()["panels"]

    for panel in panels:
        assert panel["datasource"]["uid"] in provisioned, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], panel["title"]


def test_every_panel_has_a_query():
    panels = _dashboard()["panels"]

    assert all(panel["targets"] for panel in panels)
    assert all(target["expr"] for panel in panels for target in panel["targets"])


def test_only_the_mirror_logs_panel_reads_loki():
    panels = _dashboard()["panels"]

    loki_panels = [p for p in panels if p["datasource"]["uid"] == "loki"]
    assert [p["type"] for p in loki_panels] == ["logs"]
    assert [t["expr"] for t in loki_panels[0]["targets"]] == ['{service="mirror"}']


def test_prometheus_queries_name_only_metrics_the_registry_exports():
    exprs = _prometheus_exprs()

    for expr in exprs:
        names = _metric_names(expr)
        assert names, expr
        assert names <= REGISTRY_METRICS | {"up"}, expr


def test_metric_names_skip_labels_functions_and_durations():
    expr = (
        "histogram_quantile(0.95, sum by (le, handler) "
        '(clamp_min(x_bucket{job="$job"} - (x_bucket offset 5m or 0 * x_bucket), 0)))'
        ' / sum(rate(y_total{code=~"5.."}[$__rate_interval])) or vector(0)'
    )

    names = _metric_names(expr)

    assert names == {"x_bucket", "y_total"}


def test_dashboard_panels_do_not_overlap():
    panels = _dashboard()["panels"]

    cells = [
        (panel["gridPos"]["x"] + dx, panel["gridPos"]["y"] + dy)
        for panel in panels
        for dx in range(panel["gridPos"]["w"])
        for dy in range(panel["gridPos"]["h"])
    ]
    assert len(cells) == len(set(cells))
