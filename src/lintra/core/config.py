"""Global switches. ``check_programs``: type-check every staged and derived program as it is
made (the test suite turns it on, so every transformation's output is checked); also set by
the environment variable ``LINTRA_CHECK=1``."""

import os

check_programs: bool = os.environ.get("LINTRA_CHECK", "") not in ("", "0")

# The backend ``jit`` runs programs on when none is named (``jit(f, backend=...)``).
default_backend: str = os.environ.get("LINTRA_BACKEND", "interpret")
