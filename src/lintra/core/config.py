"""Global switches. ``check_programs``: type-check every staged and derived program as it is
made (the test suite turns it on, so every transformation's output is checked); also set by
the environment variable ``LINTRA_CHECK=1``."""

import os

check_programs: bool = os.environ.get("LINTRA_CHECK", "") not in ("", "0")

# The backend ``jit`` runs programs on when none is named (``jit(f, backend=...)``):
# ``$LINTRA_BACKEND`` if set; else "native" when llvmlite imports (set by
# ``lintra.backends.native``), else "interpret".
backend_from_env: str | None = os.environ.get("LINTRA_BACKEND") or None
default_backend: str = backend_from_env or "interpret"

# One line on why ``jit`` interprets by default ("" when it compiles natively).
backend_note: str = ""

# Under ``jit``, a function is staged whole before it is differentiated, and a Python loop
# unrolled in it is rolled back into a ``scan`` (``ops/reroll``): its derivative is then a
# loop, derived and compiled once. ``$LINTRA_REROLL=0`` (or False here) turns this off.
reroll_loops: bool = os.environ.get("LINTRA_REROLL", "1") not in ("", "0")
