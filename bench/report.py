"""The results as a table for the terminal, and as bench/RESULTS.md.

RESULTS.md is written whole on every run, except what follows NOTES_MARKER: a
reading of the figures written by hand is kept until someone rewrites it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.results import Results, VariantResults, spread
from bench.stacks import Variant
from mirrorstack.files import write_atomically

MIB = 1024 * 1024
# The targets: upstream bytes for 8 concurrent cold pulls through the front,
# and warm pulls through the front against the registry alone.
HERD_TARGET = 1.1
HERD_SIZE = 8
NOTES_MARKER = (
    "<!-- Everything below this line is written by hand and kept on rerun. -->"
)
HEADER = ("figure", "front", "registry alone", "front / registry")


@dataclass(frozen=True)
class Verdict:
    """One target: what it asks, what was measured, and whether it was met."""

    target: str
    measured: str
    met: bool | None

    @property
    def outcome(self) -> str:
        return {True: "met", False: "MISSED", None: "not measured"}[self.met]


def rows(results: Results) -> list[tuple[str, str, str, str]]:
    """The table's rows: a figure, its value on each stack, and their ratio."""
    front = results.variants.get(Variant.FRONT, VariantResults(Variant.FRONT))
    alone = results.variants.get(Variant.REGISTRY, VariantResults(Variant.REGISTRY))
    parameters = results.parameters
    table: list[tuple[str, str, str, str]] = []
    for size in parameters.sizes:
        pulls = "1 cold pull" if size == 1 else f"{size} concurrent cold pulls"
        table.append(
            (
                f"upstream bytes / image, {pulls}",
                _cell(front.cold_ratio.get(size), "{:.2f}"),
                _cell(alone.cold_ratio.get(size), "{:.2f}"),
                "",
            )
        )
    largest = max(parameters.sizes)
    table.append(
        (
            f"  cross-check by tx_bytes, {largest} cold pulls",
            _cell(front.cold_tx_ratio.get(largest), "{:.2f}"),
            _cell(alone.cold_tx_ratio.get(largest), "{:.2f}"),
            "",
        )
    )
    # (row title, VariantResults attribute, whether front / registry means anything)
    timed = (
        (f"{parameters.warm_pulls} concurrent warm pulls, s", "warm_seconds", True),
        ("1 cold pull through the mirror, s", "mirror_cold_seconds", True),
        ("1 direct pull from the upstream, s", "direct_seconds", False),
        ("mirror overhead (mirror / direct)", "overhead", True),
        ("doit with nothing changed, s", "doit_seconds", False),
    )
    for title, name, compared in timed:
        front_samples, alone_samples = getattr(front, name), getattr(alone, name)
        table.append(
            (
                title,
                _cell(front_samples, "{:.2f}"),
                _cell(alone_samples, "{:.2f}"),
                _ratio(front_samples, alone_samples) if compared else "",
            )
        )
    table.append(
        (
            "doit tasks executed (must be 0)",
            _cell(front.doit_executed, "{:.0f}"),
            _cell(alone.doit_executed, "{:.0f}"),
            "",
        )
    )
    table.append(
        (
            "quickstart to all healthy, s",
            _cell(front.quickstart_seconds, "{:.1f}"),
            _cell(alone.quickstart_seconds, "{:.1f}"),
            _ratio(front.quickstart_seconds, alone.quickstart_seconds),
        )
    )
    for service in sorted({*front.memory, *alone.memory}):
        table.append(
            (
                f"memory of {service}, MiB",
                _mib(front.memory.get(service)),
                _mib(alone.memory.get(service)),
                "",
            )
        )
    table.append(
        (
            "front cache on disk, MiB",
            _mib(front.storage.get("front")),
            _mib(alone.storage.get("front")),
            "",
        )
    )
    table.append(
        (
            "registry storage on disk, MiB",
            _mib(front.storage.get("mirror")),
            _mib(alone.storage.get("mirror")),
            "",
        )
    )
    return table


def verdicts(results: Results) -> list[Verdict]:
    """The issue's two targets judged on these figures."""
    front = results.variants.get(Variant.FRONT)
    alone = results.variants.get(Variant.REGISTRY)
    herd_target = (
        f"upstream bytes <= {HERD_TARGET}x the image for {HERD_SIZE} concurrent "
        "cold pulls with the front (every run)"
    )
    herd = front.cold_ratio.get(HERD_SIZE) if front else None
    if herd:
        worst = max(herd)
        herd_verdict = Verdict(
            herd_target,
            f"{spread(herd).median:.2f}x median, {worst:.2f}x worst of {len(herd)}",
            worst <= HERD_TARGET,
        )
    else:
        herd_verdict = Verdict(herd_target, f"{HERD_SIZE} not in --sizes", None)

    warm_target = "warm pulls through the front no slower than the registry alone"
    if front and alone and front.warm_seconds and alone.warm_seconds:
        front_median = spread(front.warm_seconds).median
        alone_median = spread(alone.warm_seconds).median
        measured = (
            f"median {front_median:.2f} s against {alone_median:.2f} s "
            f"({front_median / alone_median:.2f}x)"
        )
        if front_median > alone_median:
            # Slower by the medians: say whether some front run was as fast.
            overlap = min(front.warm_seconds) <= max(alone.warm_seconds)
            measured += "; the ranges overlap" if overlap else "; no overlap"
        warm_verdict = Verdict(warm_target, measured, front_median <= alone_median)
    else:
        warm_verdict = Verdict(warm_target, "not measured on both stacks", None)
    return [herd_verdict, warm_verdict]


def table(results: Results) -> str:
    """The figures and the verdicts as plain text for the terminal."""
    lines = _aligned([HEADER, *rows(results)])
    lines.append("")
    lines.append(
        f"median (min-max) of {results.parameters.runs} runs; image "
        f"{results.image_bytes / MIB:.1f} MiB; whole run {results.seconds / 60:.1f} min"
    )
    for verdict in verdicts(results):
        lines.append(f"{verdict.outcome}: {verdict.target}: {verdict.measured}")
    return "\n".join(lines)


def write_results(results: Results, path: Path) -> None:
    """Write RESULTS.md, keeping the hand-written notes of the previous one."""
    notes = f"{NOTES_MARKER}\n"
    if path.is_file():
        _, marker, kept = path.read_text().partition(NOTES_MARKER)
        if marker:
            notes = marker + kept
    write_atomically(path, (_markdown(results) + "\n" + notes).encode())


def _markdown(results: Results) -> str:
    parameters = results.parameters
    machine = results.machine
    layers = parameters.layers
    table_lines = [
        _markdown_row(HEADER),
        _markdown_row(("---", "---", "---", "---")),
        *(_markdown_row(row) for row in rows(results)),
    ]
    verdict_lines = [
        f"- **{v.outcome}**: {v.target}: {v.measured}." for v in verdicts(results)
    ]
    machine_lines = [
        f"- {machine.cpus} processors (nproc), "
        f"{machine.memory_bytes / 1024**3:.1f} GiB of memory, kernel {machine.kernel}",
        f"- Docker engine {machine.docker}, compose {machine.compose}, "
        f"skopeo {machine.skopeo}, Python {machine.python}",
        f"- stand-in images: {', '.join(machine.images)}",
        f"- run on {machine.date}, {results.seconds / 60:.1f} minutes in all",
    ]
    return "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `invoke bench "
            f"--image-mb {parameters.image_mb} --runs {parameters.runs} "
            f"--sizes {','.join(str(s) for s in parameters.sizes)} "
            f"--warm {parameters.warm_pulls}`. Run it again to replace everything "
            "above the notes at the end.",
            "",
            "## What is measured, and how",
            "",
            "Two stacks from one throwaway copy of the kit, one after the other: the "
            "offline profile (stand-in images, a local upstream playing Docker Hub) "
            "with every port moved to 35000 and up, once with the nginx front "
            "(`[front] enabled = true`, project `mirrorstack-bench-front`) and once "
            "with the registry alone (`enabled = false`, project "
            "`mirrorstack-bench-registry`).",
            "",
            f"- **Images.** Every cold measurement pushes a new image into the "
            f"upstream over its HTTP API: {layers} layers of random bytes "
            f"(uncompressed tar) and a config, {results.image_bytes:,} bytes in all "
            f"({parameters.image_mb} MiB asked). New bytes mean new digests, so the "
            "mirror and the front have never seen it: nothing is restarted.",
            "- **Pulls.** skopeo (`skopeo copy --src-cert-dir DIR "
            "docker://localhost:35000/REPO:TAG dir:DEST`, DIR holding the kit's CA); "
            "N pulls are N skopeo processes started together, timed from the first "
            "start to the last exit.",
            "- **Upstream bytes.** Counted at the upstream by its own metrics: the "
            'rise of `registry_http_response_size_bytes_sum{handler="blob"}` (body '
            "bytes of blob responses; a HEAD has none) read from Distribution's debug "
            "listener with `docker compose exec -T upstream wget`, divided by the "
            "image's size. Cross-checked on every measurement by the rise of the "
            "upstream container's `tx_bytes` from the Docker stats API, which also "
            "carries manifests, headers and TCP/IP overhead.",
            f"- **Warm pulls.** The last cold image pulled again by "
            f"{parameters.warm_pulls} concurrent skopeo processes.",
            "- **Mirror overhead.** A new image pulled once directly from the upstream "
            "(plain HTTP on its published port, `--src-tls-verify=false`), then once "
            "cold through the mirror; the ratio is taken per pair.",
            "- **doit.** `python -m doit -f COPY/dodo.py env certs render` right after "
            "quickstart; executed tasks are the lines starting with `.  `.",
            "- **quickstart.** `invoke --search-root COPY quickstart --profile "
            "bench-…` from nothing running (`down --volumes` before each), with the "
            "certificates issued, the files rendered and the images present, until "
            "every service is healthy and answers its readiness URL.",
            "- **Memory.** After all pulls: the Docker stats API's "
            "`memory_stats.usage` less the page cache (`file` under cgroup v2, "
            "`total_cache` under v1).",
            "- **Storage.** After all pulls: `busybox du -sb` of `/var/cache/nginx` in "
            "the front and of `/var/lib/registry` in the mirror.",
            "",
            f"Each cell is the median (min-max) of {parameters.runs} runs; memory "
            "and storage are read once.",
            "",
            "## Results",
            "",
            *table_lines,
            "",
            "## Targets",
            "",
            *verdict_lines,
            "",
            "## Machine",
            "",
            *machine_lines,
            "",
        ]
    )


def _cell(samples: Sequence[float] | None, form: str) -> str:
    if not samples:
        return "-"
    figures = spread(samples)
    if len(figures.samples) == 1 or figures.low == figures.high:
        return form.format(figures.median)
    return (
        f"{form.format(figures.median)} "
        f"({form.format(figures.low)}-{form.format(figures.high)})"
    )


def _ratio(front: Sequence[float], alone: Sequence[float]) -> str:
    if not front or not alone:
        return ""
    return f"{spread(front).median / spread(alone).median:.2f}"


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.1f}"


def _aligned(table: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in table) for column in range(len(HEADER))]
    return [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in table
    ]


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
