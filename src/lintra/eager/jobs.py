"""Running a fork's branches (and the transposition of its jobs) on threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..core.trace import inherit_stack, trace_stack


class _Config:
    threads: bool = True     # False: run branches one after the other (for comparison)


config = _Config()


def run_jobs(thunks: list[Callable[[], Any]]) -> list:
    """Run thunks concurrently (the first on this thread); re-raise the first error."""
    if len(thunks) == 1 or not config.threads:
        return [t() for t in thunks]
    results: list = [None] * len(thunks)
    errors: list = [None] * len(thunks)
    stack = list(trace_stack())

    def run(k):
        try:
            with inherit_stack(stack):
                results[k] = thunks[k]()
        except BaseException as e:  # noqa: BLE001 - re-raised on the calling thread
            errors[k] = e

    threads = [threading.Thread(target=run, args=(k,)) for k in range(1, len(thunks))]
    for t in threads:
        t.start()
    run(0)
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results
