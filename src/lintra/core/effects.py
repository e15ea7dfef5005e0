"""What effectful primitives print: shown at once, or held while a backend reruns a call that
had already printed (so each line appears once)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Held(threading.local):
    lines: list | None = None     # while set, printed lines are collected here instead


_held = _Held()


def show(text: str) -> None:
    if _held.lines is not None:
        _held.lines.append(text)
    else:
        print(text, flush=True)


@contextmanager
def held_output() -> Iterator[list]:
    """Collect the lines the enclosed run prints instead of printing them."""
    saved, _held.lines = _held.lines, []
    try:
        yield _held.lines
    finally:
        _held.lines = saved
