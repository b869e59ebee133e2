"""mirrorstack's commands. Each task parses, calls the mirrorstack package, reports.

Run `invoke --list` for the list; `invoke --help TASK` for a task's options.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from mirrorstack import (
    alloy_service,
    compose,
    daemon,
    docker_checks,
    preflight,
    prometheus_api,
    stack,
    upstream,
)
from mirrorstack.errors import MirrorstackError
from mirrorstack.http import kit_client
from mirrorstack.pki import verify_certificates, verify_chain_of
from mirrorstack.registry_api import RegistryClient, repository_name
from mirrorstack.settings import PROFILE_VARIABLE, Configuration, Project, load
from mirrorstack.tls_probe import metrics_accept_kit_client, probe

ROOT = Path(__file__).resolve().parent
PROJECT = Project(ROOT)
OFFLINE_PROFILE = "offline"

logging.basicConfig(level=logging.INFO, format="  %(message)s")
# httpx logs every request at INFO; the tasks report what matters themselves.
logging.getLogger("httpx").setLevel(logging.WARNING)

Task = TypeVar("Task", bound=Callable[..., Any])


def reporting_errors(function: Task) -> Task:
    """Turn a MirrorstackError into `Exit` with its sentence, without a traceback."""

    @wraps(function)
    def wrapper(*arguments: Any, **keywords: Any) -> Any:
        try:
            return function(*arguments, **keywords)
        except MirrorstackError as error:
            raise Exit(f"error: {error}", code=1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def chosen_profile(profile: str | None) -> Iterator[None]:
    """Make the profile visible to dodo.py, which reads the environment."""
    previous = os.environ.get(PROFILE_VARIABLE)
    if profile:
        os.environ[PROFILE_VARIABLE] = profile
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PROFILE_VARIABLE, None)
        else:
            os.environ[PROFILE_VARIABLE] = previous


def configuration(profile: str | None = None) -> Configuration:
    return load(PROJECT, profile)


def run_doit(arguments: Sequence[str], profile: str | None = None) -> None:
    """Run doit's file graph in this process; nothing changed means nothing runs."""
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    import dodo

    with chosen_profile(profile):
        code = DoitMain(ModuleTaskLoader(dodo)).run(list(arguments))
    if code != 0:
        raise Exit(f"error: `doit {' '.join(arguments)}` failed; see above.", code=code)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows, strict=False)
    ]
    for row in (header, *rows):
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            )
        )


# Certificates


@task
@reporting_errors
def certs(c: Context) -> None:
    """Issue the CA, intermediate and leaf certificates that are missing or stale."""
    run_doit(["env", "certs"])


@task(name="certs-ca")
@reporting_errors
def certs_ca(c: Context) -> None:
    """Issue the root CA (ca.pem) when missing or stale."""
    run_doit(["certs:ca.pem"])


@task(name="certs-intermediate")
@reporting_errors
def certs_intermediate(c: Context) -> None:
    """Issue the intermediate CA (intermediate-ca.pem) when missing or stale."""
    run_doit(["certs:intermediate-ca.pem"])


@task(name="certs-registry")
@reporting_errors
def certs_registry(c: Context) -> None:
    """Issue the registry server, peer and client certificates and the chain."""
    run_doit(
        [
            "certs:registry.pem",
            "certs:registry-peer.pem",
            "certs:client.pem",
            "certs:registry-chain.pem",
        ]
    )


@task(name="verify-certs")
@reporting_errors
def verify_certs(c: Context) -> None:
    """Check the chain, SANs, usages, key modes and expiry of every certificate."""
    renewal_days = configuration().settings.pki.renewal_days
    problems = verify_certificates(
        PROJECT.cfssl_dir, PROJECT.certs_dir, renewal_days=renewal_days
    )
    for problem in problems:
        print(f"  problem: {problem}")
    if problems:
        raise Exit(f"error: {len(problems)} certificate problem(s).", code=1)
    print(f"certificates in {PROJECT.certs_dir} are valid")


@task(name="test-tls")
@reporting_errors
def tls_check(c: Context) -> None:
    """Handshake with the mirror: chain, names, protocol, and TLS 1.1 refused."""
    mirror = configuration().settings.mirror
    report = probe(PROJECT, mirror.hostname, mirror.port)
    print(f"{report.address}: {report.protocol}, {report.cipher}")
    print(f"  subject CN {report.subject}; names {', '.join(report.names)}")
    print("  chain verifies against ca.pem alone: the intermediate is served")
    if not report.refuses_tls_1_1:
        raise Exit("error: the mirror accepted TLS 1.1; it must refuse it.", code=1)
    print("  TLS 1.1 refused")


# Rendering and the stack


@task(help={"profile": "settings profile from config/profiles/ (default: hub)"})
@reporting_errors
def render(c: Context, profile: str | None = None) -> None:
    """Render the compose file and every service's configuration into build/."""
    run_doit(["env", "render"], profile)


@task(
    help={
        "offline": "use stand-in images and a local upstream (the offline profile)",
        "profile": "settings profile from config/profiles/ (default: hub)",
    }
)
@reporting_errors
def quickstart(c: Context, offline: bool = False, profile: str | None = None) -> None:
    """Check the machine, issue certificates, render, start and wait for health."""
    chosen = OFFLINE_PROFILE if offline else profile
    print(f"docker engine {preflight.check_engine()}")
    print(f"docker compose {preflight.check_compose()}")
    run_doit(["env", "certs", "render"], chosen)
    up_and_report(configuration(chosen))


def up_and_report(config: Configuration) -> None:
    stack.up(config)
    if config.settings.upstream.enabled:
        for image in upstream.seed(config):
            print(f"seeded the local upstream with {image}")
    print(f"stack {config.settings.stack.project} is up (profile {config.profile}):")
    print_table(
        ("service", "state", "health", "url"),
        [(s.service, s.state, s.health, s.url) for s in stack.status(config)],
    )


@task(help={"profile": "settings profile from config/profiles/ (default: last used)"})
@reporting_errors
def up(c: Context, profile: str | None = None) -> None:
    """Render what changed, start the stack and wait until every service is ready."""
    preflight.check_engine()
    preflight.check_compose()
    run_doit(["env", "certs", "render"], profile)
    up_and_report(configuration(profile))


@task
@reporting_errors
def down(c: Context) -> None:
    """Stop and remove the stack's containers; volumes and the cache stay."""
    stack.down(configuration())


@task(help={"service": "restart only this service"})
@reporting_errors
def restart(c: Context, service: str | None = None) -> None:
    """Restart every service, or one."""
    stack.restart(configuration(), service)


@task
@reporting_errors
def status(c: Context) -> None:
    """Show each service's state, health and URL."""
    config = configuration()
    print_table(
        ("service", "state", "health", "url"),
        [(s.service, s.state, s.health, s.url) for s in stack.status(config)],
    )


@task(
    help={
        "service": "registry (the mirror), push-registry, prometheus, grafana, jaeger, "
        "loki, alloy or upstream; all when left out",
        "follow": "keep printing new lines",
        "tail": "lines to show from the end of each log",
    }
)
@reporting_errors
def logs(
    c: Context, service: str | None = None, follow: bool = False, tail: int = 100
) -> None:
    """Show the logs of every service, or of one."""
    name = "mirror" if service == "registry" else service
    stack.logs(configuration(), name, follow, tail)


@task(help={"yes": "do not ask before deleting the volumes"})
@reporting_errors
def clean(c: Context, yes: bool = False) -> None:
    """Stop the stack and delete its volumes: the cache, metrics and logs go."""
    config = configuration()
    if not yes:
        if not sys.stdin.isatty():
            raise Exit("error: clean deletes the cache; run `invoke clean --yes`.")
        answer = input(
            f"Delete every volume of {config.settings.stack.project}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise Exit("nothing deleted.", code=0)
    stack.down(config, remove_volumes=True)
    print("stack removed with its volumes")


@task(name="seed-upstream")
@reporting_errors
def seed_upstream(c: Context) -> None:
    """Push the sample images into the local upstream (offline profile)."""
    config = configuration()
    if not config.settings.upstream.enabled:
        raise Exit("error: this profile has no local upstream; use --profile offline.")
    pushed = upstream.seed(config)
    print(f"seeded: {', '.join(pushed) or 'nothing new'}")


# The Docker daemon


@task(
    name="configure-docker-tls",
    help={"client": "also install the kit's client certificate and key"},
)
@reporting_errors
def configure_docker_tls(c: Context, client: bool = False) -> None:
    """Make the Docker daemon trust the mirror's and push registry's certificates."""
    config = configuration()
    mode = daemon.current_mode()
    paths = daemon.daemon_paths(mode, Path.home(), os.environ)
    certs_dir = PROJECT.certs_dir
    settings = config.settings
    changed: list[Path] = []
    for port in (settings.mirror.port, settings.push_registry.port):
        changed += daemon.install_trust(
            paths.certs_d,
            f"{settings.mirror.hostname}:{port}",
            certs_dir / "ca.pem",
            certs_dir / "client.pem" if client else None,
            certs_dir / "client-key.pem" if client else None,
        )
    for path in changed:
        print(f"wrote {path}")
    print(f"{mode.value} daemon trusts the kit's CA under {paths.certs_d}")


@task(name="configure-mirror")
@reporting_errors
def configure_mirror(c: Context) -> None:
    """Add the mirror to the daemon's registry-mirrors, reload it, and confirm."""
    config = configuration()
    url = docker_checks.mirror_url(config)
    mode = daemon.current_mode()
    paths = daemon.daemon_paths(mode, Path.home(), os.environ)
    result = daemon.merge_registry_mirrors(paths.daemon_json, url)
    if result.changed:
        print(
            f"wrote {paths.daemon_json} (backup: {result.backup or 'none, new file'})"
        )
        print(daemon.reload_daemon(mode, paths, os.environ))
    daemon.wait_for_mirror(url)
    print(f"docker info lists {url} as a registry mirror")


@task(name="trust-cert")
@reporting_errors
def trust_cert(c: Context) -> None:
    """Add the kit's root CA to this system's trust store (asks for nothing else)."""
    ca = PROJECT.certs_dir / "ca.pem"
    if Path("/usr/sbin/update-ca-certificates").exists():
        c.run(f"cp {ca} /usr/local/share/ca-certificates/mirrorstack-ca.crt", echo=True)
        c.run("update-ca-certificates", echo=True)
    elif Path("/usr/bin/update-ca-trust").exists():
        c.run(f"cp {ca} /etc/pki/ca-trust/source/anchors/mirrorstack-ca.pem", echo=True)
        c.run("update-ca-trust", echo=True)
    elif sys.platform == "darwin":
        c.run(
            "sudo security add-trusted-cert -d -r trustRoot "
            f"-k /Library/Keychains/System.keychain {ca}",
            echo=True,
        )
    else:
        raise Exit("error: no known trust store here; add certs/ca.pem by hand.")


# The registry API


def mirror_registry(config: Configuration) -> tuple[RegistryClient, Any]:
    http = kit_client(PROJECT)
    return RegistryClient(docker_checks.mirror_url(config), http), http


@task(name="list-repos")
@reporting_errors
def list_repos(c: Context) -> None:
    """List every repository the mirror holds (follows catalog pagination)."""
    registry, http = mirror_registry(configuration())
    with http:
        for repository in registry.catalog():
            print(repository)


@task(
    name="list-tags",
    positional=["repository"],
    help={"repository": "e.g. busybox (that is, library/busybox) or grafana/loki"},
)
@reporting_errors
def list_tags(c: Context, repository: str) -> None:
    """List the tags of one repository in the mirror."""
    registry, http = mirror_registry(configuration())
    with http:
        for tag in registry.tags(repository_name(repository)):
            print(tag)


@task(
    name="get-manifest",
    positional=["repository", "reference"],
    help={
        "repository": "e.g. busybox (that is, library/busybox) or grafana/loki",
        "reference": "a tag or a digest, e.g. 1.35.0 or sha256:...",
    },
)
@reporting_errors
def get_manifest(c: Context, repository: str, reference: str) -> None:
    """Show a manifest (Docker v2, OCI manifest or OCI index) from the mirror."""
    registry, http = mirror_registry(configuration())
    with http:
        manifest = registry.manifest(repository_name(repository), reference)
    print(f"media type: {manifest.media_type}")
    print(f"digest: {manifest.digest}")
    print(json.dumps(manifest.body, indent=2))


@task(
    help={
        "service": "the registry to collect: push-registry (default) or mirror",
        "apply": "delete for real; without it only a dry run is shown",
    }
)
@reporting_errors
def gc(c: Context, service: str = "push-registry", apply: bool = False) -> None:
    """Garbage-collect a registry safely: stopped while it runs, dry run by default."""
    config = configuration()
    collect = ["garbage-collect", "/etc/distribution/config.yml", "--delete-untagged"]
    if not apply:
        collect.append("--dry-run")
    compose.run(config, "stop", service)
    try:
        compose.run(
            config,
            "run",
            "--rm",
            "--no-deps",
            "--entrypoint",
            "registry",
            service,
            *collect,
        )
    finally:
        compose.run(config, "start", service)
    if not apply:
        print("dry run only; run `invoke gc --apply` to delete")


@task
@reporting_errors
def health(c: Context) -> None:
    """Check every service's readiness URL from this machine."""
    ready = stack.wait_until_ready(configuration(), time.monotonic(), timeout=10)
    for name in ready:
        print(f"{name}: ready")


@task
@reporting_errors
def metrics(c: Context) -> None:
    """Show the mirror's request and cache counters as Prometheus has them."""
    settings = configuration().settings
    for title, expression in prometheus_api.MIRROR_QUERIES.items():
        for sample in prometheus_api.query(settings, expression):
            labels = ",".join(f"{k}={v}" for k, v in sample.labels.items()) or "all"
            print(f"{title} [{labels}]: {sample.value:g}")


@task(name="prometheus-targets")
@reporting_errors
def prometheus_targets(c: Context) -> None:
    """List Prometheus's scrape targets with their health and last error."""
    rows = [
        (t.job, t.url, t.health, t.last_error or "-")
        for t in prometheus_api.targets(configuration().settings)
    ]
    print_table(("job", "url", "health", "last error"), rows)


@task(name="verify-prometheus-certs")
@reporting_errors
def verify_prometheus_certs(c: Context) -> None:
    """Check Prometheus's client certificate is the kit's, valid, and accepted."""
    renewal_days = configuration().settings.pki.renewal_days
    problems = verify_chain_of(
        "client", PROJECT.cfssl_dir, PROJECT.certs_dir, renewal_days=renewal_days
    )
    for problem in problems:
        print(f"  problem: {problem}")
    if problems:
        raise Exit("error: the client certificate for Prometheus is not valid.", code=1)
    print("client.pem chains to the kit's CA and allows client authentication")
    settings = configuration().settings
    if settings.front.enabled:
        host, port = settings.mirror.hostname, settings.front.metrics_port
        accepted = metrics_accept_kit_client(PROJECT, host, port)
        if accepted is None:
            print(f"nothing answers on {host}:{port}; start the stack to check it live")
        elif not accepted:
            raise Exit(f"error: {host}:{port} refused the kit's client certificate.")
        else:
            print(f"the front's metrics endpoint {host}:{port} accepts it")


@task(name="test-pull", help={"image": "a Docker Hub image, e.g. busybox:1.35.0"})
@reporting_errors
def pull_check(c: Context, image: str | None = None) -> None:
    """Pull an image by its short name and show it came through the mirror."""
    config = configuration()
    chosen = image or config.settings.upstream.seed[0]
    catalog = docker_checks.pull_through_mirror(config, chosen)
    print(f"pulled {chosen} through {docker_checks.mirror_url(config)}")
    print(f"mirror catalog: {', '.join(catalog)}")


@task(
    name="test-push",
    help={"image": "a local image to push (default: the busybox image)"},
)
@reporting_errors
def push_check(c: Context, image: str | None = None) -> None:
    """Push to the push registry, and show that the mirror refuses pushes."""
    config = configuration()
    report = docker_checks.push_to_registries(config, image or config.images.busybox)
    print(f"pushed {report.pushed}")
    print(f"the mirror refused a push, as it must: {report.mirror_refusal}")


# Native Alloy (rootless Docker)


@task(
    name="alloy-install",
    help={
        "alloy": "path to the alloy binary (default: the one on PATH)",
        "dry_run": "print the files that would be written, and write nothing",
    },
)
@reporting_errors
def alloy_install(c: Context, alloy: str | None = None, dry_run: bool = False) -> None:
    """Install Alloy as a user service that ships the stack's logs to Loki."""
    config = configuration()
    home, uid = Path.home(), os.getuid()
    if dry_run:
        files = alloy_service.render_files(config, home, os.environ, uid, alloy)
        for path, text in files.items():
            print(f"# {path}")
            print(text)
        return
    for note in alloy_service.settings_notes(config):
        print(f"note: {note}")
    binary = alloy_service.find_alloy(os.environ, alloy)
    changed = alloy_service.install(config, home, os.environ, uid, binary)
    for path in changed:
        print(f"{'created' if path.is_dir() else 'wrote'} {path}")
    manual = alloy_service.manual_run(config, home, os.environ, binary)
    if not alloy_service.has_user_systemd(os.environ):
        print(manual.sentence())
        return
    unit = alloy_service.UNIT_NAME
    alloy_service.systemctl_user("daemon-reload", environ=os.environ, manual=manual)
    alloy_service.systemctl_user("enable", unit, environ=os.environ, manual=manual)
    if changed:
        # Restarts Alloy only if it runs, so it reads the new files.
        alloy_service.systemctl_user(
            "try-restart", unit, environ=os.environ, manual=manual
        )
    print(f"{unit} is enabled; start it with `invoke alloy-start`")


def alloy_systemctl(verb: str) -> str:
    """Run `systemctl --user VERB` on the Alloy unit; return the unit's name."""
    manual = alloy_service.manual_run(configuration(), Path.home(), os.environ)
    unit = alloy_service.UNIT_NAME
    alloy_service.systemctl_user(verb, unit, environ=os.environ, manual=manual)
    return unit


@task(name="alloy-start")
@reporting_errors
def alloy_start(c: Context) -> None:
    """Start the Alloy user service."""
    print(f"{alloy_systemctl('start')} started")


@task(name="alloy-stop")
@reporting_errors
def alloy_stop(c: Context) -> None:
    """Stop the Alloy user service."""
    print(f"{alloy_systemctl('stop')} stopped")


@task(name="alloy-status")
@reporting_errors
def alloy_status(c: Context) -> None:
    """Show the Alloy user service's state, pid and URL."""
    config = configuration()
    manual = alloy_service.manual_run(config, Path.home(), os.environ)
    state = alloy_service.unit_state(environ=os.environ, manual=manual)
    print_table(
        ("unit", "loaded", "active", "pid", "url"),
        [
            (
                alloy_service.UNIT_NAME,
                state["LoadState"],
                f"{state['ActiveState']} ({state['SubState']})",
                state["MainPID"],
                f"http://127.0.0.1:{config.settings.alloy.port}",
            )
        ],
    )


@task(
    name="alloy-logs",
    help={
        "follow": "keep printing new lines",
        "lines": "lines to show from the end of the journal",
    },
)
@reporting_errors
def alloy_logs(c: Context, follow: bool = False, lines: int = 100) -> None:
    """Show the Alloy user service's journal."""
    manual = alloy_service.manual_run(configuration(), Path.home(), os.environ)
    alloy_service.journal_user(
        alloy_service.UNIT_NAME, follow, lines, environ=os.environ, manual=manual
    )


# Project checks


@task
def check(c: Context) -> None:
    """Format check, lint and type-check the code (ruff and mypy strict)."""
    c.run("ruff format --check .", echo=True)
    c.run("ruff check .", echo=True)
    c.run("mypy", echo=True)


@task(
    name="test",
    help={
        "e2e": "also run the end-to-end tests that start the real stack",
        "pytest_args": "extra arguments for pytest",
    },
)
def run_tests(c: Context, e2e: bool = True, pytest_args: str = "") -> None:
    """Run the checks, the unit tests and (by default) the end-to-end tests."""
    check(c)
    c.run(f"pytest tests/unit {pytest_args}", echo=True, pty=False)
    if e2e:
        c.run(f"pytest -m e2e -o log_cli=true tests/e2e {pytest_args}", echo=True)


# Benchmark


def parse_sizes(sizes: str) -> tuple[int, ...]:
    """Turn "1,4,8" into (1, 4, 8); refuse anything but positive whole numbers."""
    try:
        parsed = tuple(int(size) for size in sizes.split(","))
    except ValueError:
        parsed = ()
    if not parsed or min(parsed) < 1:
        raise Exit(f"error: --sizes {sizes!r} is not a list like 1,4,8.", code=1)
    return parsed


@task(
    name="bench",
    help={
        "image_mb": "size of each generated image in MiB (default 60)",
        "runs": "how many times each measurement is repeated (default 3)",
        "sizes": "numbers of concurrent cold pulls to measure (default 1,4,8)",
        "warm": "number of concurrent warm pulls (default 8)",
    },
)
@reporting_errors
def run_bench(
    c: Context, image_mb: int = 60, runs: int = 3, sizes: str = "1,4,8", warm: int = 8
) -> None:
    """Measure what the front saves and costs on throwaway stacks; write RESULTS.md."""
    # Imported here: bench/ lives in this checkout only, not in a kit copy.
    from bench import report
    from bench.run import Options, run

    if image_mb < 1 or runs < 1 or warm < 1:
        raise Exit("error: --image-mb, --runs and --warm must be at least 1.", code=1)
    options = Options(image_mb, runs, parse_sizes(sizes), warm)
    results = run(options)
    print(report.table(results))
    print(f"wrote {options.results_file}")


namespace = Collection(
    quickstart,
    certs,
    certs_ca,
    certs_intermediate,
    certs_registry,
    verify_certs,
    tls_check,
    render,
    up,
    down,
    restart,
    status,
    logs,
    clean,
    seed_upstream,
    configure_docker_tls,
    configure_mirror,
    trust_cert,
    list_repos,
    list_tags,
    get_manifest,
    gc,
    health,
    metrics,
    prometheus_targets,
    verify_prometheus_certs,
    pull_check,
    push_check,
    alloy_install,
    alloy_start,
    alloy_stop,
    alloy_status,
    alloy_logs,
    check,
    run_tests,
    run_bench,
)
