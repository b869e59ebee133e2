"""The one error the benchmark raises: a step it cannot measure, and why."""

from __future__ import annotations

from mirrorstack.errors import MirrorstackError


class BenchError(MirrorstackError):
    """A benchmark step failed; the message names the step and what to check."""
