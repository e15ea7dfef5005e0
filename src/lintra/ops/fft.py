"""The discrete Fourier transform as one linear primitive, ``fft``, over the trailing axes (as
``jax.lax.fft``): ``fft_type`` is "fft", "ifft" (with NumPy's 1/N), "rfft" (real input, the
last axis halved to n//2 + 1) or "irfft" (its inverse, real output); ``fft_lengths`` are the
lengths of the transformed trailing axes. ``lintra.numpy.fft`` builds NumPy's API on it.

Transposes (JAX's convention, ``ops/complex.py``: the pairing is Re(sum(a * b))): the DFT
matrix is symmetric, so fft and ifft are their own transposes. rfft = (keep the first n//2 + 1
of the last axis) . fft . (x + 0j), so its transpose is real . fft . (zero-pad). irfft reads
each kept coefficient k once (k = 0 and the Nyquist one, n even) or twice (k and n - k, as its
conjugate): its transpose is conj(rfft(ct)) * w / N with the Hermitian weights w = 1 or 2.
"""

from __future__ import annotations

import math

import numpy as np

from ..ad.rules import deflinear
from ..batching.core import vmap_rules
from ..core.avals import ShapedArray, complex_dtype, real_dtype
from ..core.primitive import Primitive
from ..core.trace import get_aval
from .complex import conj, real
from .elementwise import mul
from .shape import moveaxis
from .structure import pad

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")

fft_p = Primitive("fft")


def _axes(x, fft_lengths) -> tuple[int, ...]:
    nd = np.ndim(x)
    return tuple(range(nd - len(fft_lengths), nd))


@fft_p.def_impl
def _fft_impl(x, *, fft_type, fft_lengths):
    x = np.asarray(x)
    axes = _axes(x, fft_lengths)
    if fft_type == "fft":
        out = np.fft.fftn(x, axes=axes)
    elif fft_type == "ifft":
        out = np.fft.ifftn(x, axes=axes)
    elif fft_type == "rfft":
        out = np.fft.rfftn(x, axes=axes)
        return out.astype(complex_dtype(x.dtype))
    else:
        out = np.fft.irfftn(x, s=fft_lengths, axes=axes)
        return out.astype(real_dtype(x.dtype))
    return out.astype(x.dtype)


def _expect(cond: bool, fft_type: str, what: str, x) -> None:
    if not cond:
        raise TypeError(f"fft ({fft_type}): {what}, got {x}")


@fft_p.def_shape
def _fft_shape(x, *, fft_type, fft_lengths):
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    k = len(fft_lengths)
    _expect(1 <= k <= x.ndim, fft_type, f"{k} transformed axes need an input of >= {k} axes",
            x)
    lead, trail = x.shape[:x.ndim - k], tuple(x.shape[x.ndim - k:])
    if fft_type in ("fft", "ifft"):
        _expect(x.dtype.kind == "c", fft_type, "expects a complex input", x)
        _expect(trail == tuple(fft_lengths), fft_type,
                f"trailing axes must be the fft_lengths {fft_lengths}", x)
        return x.strip_weak()
    if fft_type == "rfft":
        _expect(x.dtype.kind == "f", fft_type, "expects a real floating-point input", x)
        _expect(trail == tuple(fft_lengths), fft_type,
                f"trailing axes must be the fft_lengths {fft_lengths}", x)
        return ShapedArray(lead + trail[:-1] + (trail[-1] // 2 + 1,), complex_dtype(x.dtype))
    _expect(x.dtype.kind == "c", fft_type, "expects a complex input", x)
    want = tuple(fft_lengths[:-1]) + (fft_lengths[-1] // 2 + 1,)
    _expect(trail == want, fft_type, f"trailing axes must be {want} for fft_lengths "
            f"{fft_lengths}", x)
    return ShapedArray(lead + tuple(fft_lengths), real_dtype(x.dtype))


def fft(x, fft_type: str, fft_lengths):
    """The transform ``fft_type`` over the ``len(fft_lengths)`` trailing axes of ``x``."""
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=tuple(int(n) for n in fft_lengths))


def _hermitian_weights(fft_lengths, dtype) -> np.ndarray:
    """How often irfft reads each kept coefficient of the last axis (1 or 2), over N."""
    n = fft_lengths[-1]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return (w / math.prod(fft_lengths)).astype(real_dtype(dtype))


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    if fft_type in ("fft", "ifft"):
        return [fft(ct, fft_type, fft_lengths)]
    if fft_type == "rfft":
        nd = get_aval(ct).ndim
        kept = get_aval(ct).shape[-1]
        config = [(0, 0, 0)] * (nd - 1) + [(0, fft_lengths[-1] - kept, 0)]
        full = pad(ct, np.zeros((), get_aval(ct).dtype), config)
        return [real(fft(full, "fft", fft_lengths))]
    out = conj(fft(ct, "rfft", fft_lengths))
    return [mul(out, _hermitian_weights(fft_lengths, get_aval(out).dtype)
                .astype(get_aval(out).dtype))]


deflinear(fft_p, _fft_transpose)


def _fft_batch(args, dims, *, fft_type, fft_lengths):
    (x,), (d,) = args, dims
    return fft(moveaxis(x, d, 0), fft_type, fft_lengths), 0


vmap_rules[fft_p] = _fft_batch
