"""Eager reverse mode: the tape of on-the-fly linearization and its transposition."""

from .api import eager_vjp_flat, stats  # noqa: F401
from .fast import install as _install
from .parallel import fork_join, parallel_map  # noqa: F401

_install()
del _install
