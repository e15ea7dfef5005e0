"""``Array``: the NumPy array that ``lintra.numpy`` returns on concrete inputs.

It is an ``np.ndarray`` subclass (a view cast, no copy) that adds what JAX code expects of
an array: the ``.at[idx]`` functional updates and indexing by a traced integer (inside the
body of a ``fori_loop``, ``scan`` or ``cond`` run on concrete values, where NumPy's own
indexing would ask the tracer for a Python int). Every other method is NumPy's. Internals
compute on plain ``np.ndarray``s; only the user-facing functions cast their results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import trace


def _has_tracer(idx: Any) -> bool:
    if isinstance(idx, trace.Tracer):
        return True
    if type(idx) is tuple or type(idx) is list:
        return any(_has_tracer(i) for i in idx)
    return False


class Array(np.ndarray):
    """A NumPy array with JAX's ``.at`` and traced-index reads (``lintra.numpy.Array``)."""

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        if return_scalar:               # NumPy's 0-d results stay NumPy scalars
            return arr[()]
        return super().__array_wrap__(arr, context, return_scalar)

    def __getitem__(self, idx):
        if type(idx) is not int and _has_tracer(idx):
            return trace.array_namespace.getitem(self, idx)
        return np.ndarray.__getitem__(self, idx)

    @property
    def at(self):
        """``x.at[idx].set(v)`` / ``add`` / ``multiply`` (``mul``) / ``divide`` / ``min`` /
        ``max`` / ``power`` / ``get``: a new array, ``x`` unchanged (JAX's semantics)."""
        return trace.array_namespace.at_property(self)


def as_array(out: Any) -> Any:
    """``out`` with its plain NumPy arrays (also inside a tuple or list) viewed as ``Array``."""
    t = type(out)
    if t is np.ndarray:
        return out.view(Array)
    if t is tuple or t is list:
        return t(as_array(o) for o in out)
    if isinstance(out, tuple) and hasattr(out, "_make"):      # a namedtuple (eigh, svd, ...)
        return out._make(as_array(o) for o in out)
    return out


def plain(x: Any) -> Any:
    """An ``Array`` as a plain ``np.ndarray`` view (what lintra's fast paths check for)."""
    return x.view(np.ndarray) if type(x) is Array else x
