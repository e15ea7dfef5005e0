"""Matrix products through the BLAS that NumPy itself links (its bundled OpenBLAS, ILP64
``scipy_cblas_?gemm64_``): large ``dot_general``s are one ``gemm`` call from native code, at
BLAS speed and with NumPy's own rounding. Without that library, products stay loops.

Products under 2^24 multiply-adds (each of a batch) run on one BLAS thread
(``threads_addresses``; the caller sets the count to 1 around its calls and back after):
OpenBLAS's threads synchronize per call, and on a busy two-core host their spin-waits cost
more than the product. The ``gmm`` large primal (50 products of 10000 x 20 x 20) took 430 ms
with two threads, 47 ms with one."""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

_symbols = {np.dtype("float64"): "scipy_cblas_dgemm64_", np.dtype("float32"):
            "scipy_cblas_sgemm64_"}
_found: dict = {}
_THREADS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_")


def gemm_address(dtype) -> int | None:
    """The address of NumPy's BLAS ``gemm`` for ``dtype`` (64-bit integers), or None."""
    dtype = np.dtype(dtype)
    if dtype not in _found:
        _found[dtype] = _lookup(_symbols.get(dtype))
    return _found[dtype]


def threads_addresses() -> tuple[int, int] | None:
    """The addresses of that BLAS's ``int get_num_threads()`` and ``void set_num_threads(int)``,
    or None."""
    if "threads" not in _found:
        got = [_lookup(name) for name in _THREADS]
        _found["threads"] = None if None in got else tuple(got)
    return _found["threads"]


def _lookup(symbol: str | None) -> int | None:
    if symbol is None:
        return None
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas64_*.so*"))):
        try:
            fn = getattr(ctypes.CDLL(path), symbol)
        except (OSError, AttributeError):
            continue
        return ctypes.cast(fn, ctypes.c_void_p).value
    return None
