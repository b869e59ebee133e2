"""The figures of one benchmark run, each kept as every sample taken."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.machine import Machine
from bench.stacks import Variant


@dataclass(frozen=True)
class Spread:
    """Samples of one figure: their median and range."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)


def spread(samples: Sequence[float]) -> Spread:
    return Spread(tuple(float(sample) for sample in samples))


@dataclass
class VariantResults:
    """Everything measured on one stack, filled in as the run goes."""

    variant: Variant
    quickstart_seconds: list[float] = field(default_factory=list)
    doit_seconds: list[float] = field(default_factory=list)
    doit_executed: list[int] = field(default_factory=list)
    # Upstream bytes over the image's size, by number of concurrent cold pulls.
    cold_ratio: dict[int, list[float]] = field(default_factory=dict)
    cold_tx_ratio: dict[int, list[float]] = field(default_factory=dict)
    warm_seconds: list[float] = field(default_factory=list)
    mirror_cold_seconds: list[float] = field(default_factory=list)
    direct_seconds: list[float] = field(default_factory=list)
    memory: dict[str, int] = field(default_factory=dict)
    storage: dict[str, int] = field(default_factory=dict)

    @property
    def overhead(self) -> list[float]:
        """Each cold pull through the mirror over the direct pull of the same image."""
        return [
            mirror / direct
            for mirror, direct in zip(
                self.mirror_cold_seconds, self.direct_seconds, strict=True
            )
        ]


@dataclass(frozen=True)
class Parameters:
    """What the run was asked to do."""

    image_mb: int
    layers: int
    runs: int
    sizes: tuple[int, ...]
    warm_pulls: int


@dataclass
class Results:
    """Both stacks' figures, the run's parameters, the machine, the time it took."""

    parameters: Parameters
    machine: Machine
    variants: dict[Variant, VariantResults]
    # The size of every generated image: its layers and its config.
    image_bytes: int = 0
    seconds: float = 0.0
