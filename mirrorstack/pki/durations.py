"""Go duration strings ("8760h", "1h30m"), the form cfssl's expiry fields take."""

from __future__ import annotations

import re
from datetime import timedelta

_SECONDS_PER_UNIT = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)"
_WHOLE = re.compile(rf"(?:{_PART})+")


def parse_go_duration(text: str) -> timedelta | None:
    """The duration text means, or None when Go's time.ParseDuration would refuse it.

    Signs are refused too: an expiry is always forward in time.
    """
    if text == "0":
        return timedelta(0)
    if not _WHOLE.fullmatch(text):
        return None
    seconds = sum(
        float(number) * _SECONDS_PER_UNIT[unit]
        for number, unit in re.findall(_PART, text)
    )
    return timedelta(seconds=seconds)
