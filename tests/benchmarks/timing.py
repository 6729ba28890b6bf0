"""Small timing helpers: run a thing several times, keep the median."""
from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeats: int = 3) -> tuple[float, object]:
    """Median wall time of `fn()` over `repeats` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result
