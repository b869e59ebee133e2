"""The entry point: every measurement, in order, on the front stack then the registry.

Both stacks run from one throwaway kit copy, one after the other, never together;
each is removed with its volumes when its measurements are done, or fail.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import counters, images, pulls, report, stacks
from bench.errors import BenchError
from bench.machine import describe
from bench.results import Parameters, Results, VariantResults
from bench.stacks import Variant
from mirrorstack import preflight
from mirrorstack.settings import Configuration, Project

log = logging.getLogger(__name__)

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
MIB = 1024 * 1024
# Where each service keeps what it caches, for the double-storage figure.
STORAGE = {"front": "/var/cache/nginx", "mirror": "/var/lib/registry"}


@dataclass(frozen=True)
class Options:
    """What `invoke bench` was asked for."""

    image_mb: int = 60
    runs: int = 3
    sizes: tuple[int, ...] = (1, 4, 8)
    warm_pulls: int = 8
    results_file: Path = RESULTS_FILE


def run(options: Options) -> Results:
    """Measure both stacks, write the results file, and return the figures."""
    if shutil.which("skopeo") is None:
        raise BenchError(
            "skopeo is not on PATH. Install it (Debian: `apt install skopeo`)."
        )
    started = time.monotonic()
    parameters = Parameters(
        options.image_mb, images.LAYERS, options.runs, options.sizes, options.warm_pulls
    )
    with tempfile.TemporaryDirectory(prefix=f"{stacks.PROJECT_PREFIX}-") as temp:
        project = stacks.make_kit_copy(Path(temp) / "kit")
        first = stacks.configuration(project, Variant.FRONT)
        images_used = first.images
        preflight.check_stand_in_images(
            [
                images_used.registry,
                images_used.front,
                images_used.prometheus,
                images_used.jaeger,
                images_used.busybox,
            ]
        )
        results = Results(parameters, describe(first), {})
        for variant in Variant:
            configuration = stacks.configuration(project, variant)
            measured = VariantResults(variant)
            results.variants[variant] = measured
            try:
                _measure(project, configuration, options, Path(temp), measured, results)
            finally:
                stacks.down(configuration)
                log.info("%s: stack removed with its volumes", variant.label)
    results.seconds = time.monotonic() - started
    for leftover in stacks.leftovers():
        log.warning("left behind: %s; remove it by hand", leftover)
    report.write_results(results, options.results_file)
    return results


def _measure(
    project: Project,
    configuration: Configuration,
    options: Options,
    workdir: Path,
    measured: VariantResults,
    results: Results,
) -> None:
    variant = measured.variant
    # Certificates and files first, so quickstart times the stack, not the PKI.
    stacks.run_doit(project, variant)
    for _ in range(options.runs):
        stacks.down(configuration)
        measured.quickstart_seconds.append(stacks.quickstart(project, variant))

    for _ in range(options.runs):
        doit = stacks.run_doit(project, variant)
        measured.doit_seconds.append(doit.seconds)
        measured.doit_executed.append(len(doit.executed))
    log.info("%s: doit with nothing changed ran %s", variant.label, doit.executed)

    mirror = pulls.mirror_source(configuration, workdir)
    upstream = pulls.upstream_source(configuration)
    upstream_url = f"http://{upstream.address}"
    total_bytes = options.image_mb * MIB
    image = None
    for size in options.sizes:
        for index in range(options.runs):
            image = images.push_random_image(
                upstream_url, f"cold-{size}-{index}", total_bytes
            )
            results.image_bytes = image.size
            blob_bytes = counters.upstream_blob_bytes(configuration)
            tx_bytes = counters.network_tx_bytes(configuration, counters.UPSTREAM)
            seconds = pulls.pull_concurrently(mirror, image, size, workdir)
            blob_bytes = counters.upstream_blob_bytes(configuration) - blob_bytes
            tx_bytes = (
                counters.network_tx_bytes(configuration, counters.UPSTREAM) - tx_bytes
            )
            measured.cold_ratio.setdefault(size, []).append(blob_bytes / image.size)
            measured.cold_tx_ratio.setdefault(size, []).append(tx_bytes / image.size)
            log.info(
                "%s: cold pulls, %d at once, in %.1f s; upstream sent %.2fx the "
                "image (metrics), %.2fx (tx_bytes)",
                variant.label,
                size,
                seconds,
                blob_bytes / image.size,
                tx_bytes / image.size,
            )

    if image is None:
        raise BenchError("no cold pull was measured; give --sizes at least one number.")
    for _ in range(options.runs):
        seconds = pulls.pull_concurrently(mirror, image, options.warm_pulls, workdir)
        measured.warm_seconds.append(seconds)
        log.info(
            "%s: %d warm pulls in %.2f s", variant.label, options.warm_pulls, seconds
        )

    for index in range(options.runs):
        image = images.push_random_image(upstream_url, f"direct-{index}", total_bytes)
        direct = pulls.pull_concurrently(upstream, image, 1, workdir)
        through_mirror = pulls.pull_concurrently(mirror, image, 1, workdir)
        measured.direct_seconds.append(direct)
        measured.mirror_cold_seconds.append(through_mirror)
        log.info(
            "%s: cold pull through the mirror %.2f s, direct from the upstream %.2f s",
            variant.label,
            through_mirror,
            direct,
        )

    measured.memory = counters.resident_memory(configuration)
    for service, path in STORAGE.items():
        if service in measured.memory:
            measured.storage[service] = counters.stored_bytes(
                configuration, service, path
            )
    log.info(
        "%s: memory %s, storage %s", variant.label, measured.memory, measured.storage
    )
