"""``lintra.numpy.fft``: NumPy's (and ``jax.numpy.fft``'s) discrete Fourier transforms.

Every transform is the one linear ``fft`` primitive (ops/fft.py) over the requested axes,
moved to the end, after resizing each transformed axis to its length (``n``/``s``: a slice
or zero padding) and followed by the ``norm`` scaling: "backward" (the default; 1/N on the
inverse), "ortho" (1/sqrt(N) both ways) or "forward" (1/N on the forward transform).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..core.avals import complex_dtype
from ..core.trace import Tracer, get_aval
from ..ops import base
from ..ops import elementwise as E
from ..ops import fft as F
from ..ops import shape as SH
from ..ops import structure as S
from ._basic import _as_value
from ._structure import roll

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(norm, who: str) -> None:
    if norm not in _NORMS:
        raise ValueError(f"{who}: norm must be one of {_NORMS}, got {norm!r}")


def _to(x, kind: str):
    """``x`` as complex ("c") or real floating point ("f") (NumPy's promotion)."""
    dt = get_aval(x).dtype
    if kind == "c":
        return base.convert_element_type(x, complex_dtype(dt)) if dt.kind != "c" else x
    if dt.kind == "c":
        raise TypeError(f"expects a real input, got {get_aval(x).str_short()}")
    return base.convert_element_type(x, np.float64) if dt.kind in "iub" else x


def _resize(x, axis: int, n: int):
    """Axis ``axis`` of ``x`` cut or zero-padded to length ``n``."""
    shape = get_aval(x).shape
    if n == shape[axis]:
        return x
    if n < shape[axis]:
        limit = list(shape)
        limit[axis] = n
        return S.slice_static(x, [0] * len(shape), limit)
    config = [(0, 0, 0)] * len(shape)
    config[axis] = (0, n - shape[axis], 0)
    return S.pad(x, np.zeros((), get_aval(x).dtype), config)


def _axes_and_lengths(x, s, axes, who: str, real_last_in: bool = False):
    """NumPy's rules for (s, axes): axes default to the last len(s) axes (all without s);
    lengths default to the input's (for irfftn the last one to 2 * (m - 1))."""
    nd = get_aval(x).ndim
    if axes is None:
        axes = tuple(range(nd - len(s), nd)) if s is not None else tuple(range(nd))
    elif isinstance(axes, (int, np.integer)):
        raise TypeError(f"{who}: axes must be a sequence of ints, got {axes!r}")
    axes = tuple(SH.normalize_axis(a, nd, who) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{who}: repeated axis in {axes}")
    if not axes:
        raise ValueError(f"{who}: at least one axis to transform is needed")
    shape = get_aval(x).shape
    if s is None:
        s = [shape[a] for a in axes]
        if real_last_in:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    else:
        s = [_length(v, who) for v in s]
        if len(s) != len(axes):
            raise ValueError(f"{who}: s {tuple(s)} and axes {axes} have different lengths")
    if any(n < 1 for n in s):
        raise ValueError(f"{who}: invalid number of data points {tuple(s)}")
    return axes, tuple(s)


def _length(n, who: str) -> int:
    if isinstance(n, Tracer):
        raise TypeError(f"{who}: n/s must be static integers (they set the result's shape)")
    if int(n) != n:
        raise TypeError(f"{who}: n/s must be integers, got {n!r}")
    return int(n)


def _transform(x, fft_type: str, axes, lengths, norm, forward: bool):
    """Move ``axes`` to the end, apply the primitive, move them back, scale for ``norm``."""
    nd = get_aval(x).ndim
    rest = [a for a in range(nd) if a not in axes]
    perm = rest + list(axes)
    y = F.fft(SH.transpose(x, perm), fft_type, lengths)
    y = SH.transpose(y, list(np.argsort(perm)))
    n = math.prod(lengths)
    norm = norm or "backward"
    if norm == "ortho":
        scale = 1 / math.sqrt(n) if forward else math.sqrt(n)
    elif norm == "forward":
        scale = 1 / n if forward else float(n)
    else:
        scale = 1.0
    return y if scale == 1.0 else E.mul(y, scale)


def _cfft(a, s, axes, norm, fft_type: str, who: str):
    _check_norm(norm, who)
    x = _to(_as_value(a), "c")
    axes, lengths = _axes_and_lengths(x, s, axes, who)
    for ax, n in zip(axes, lengths):
        x = _resize(x, ax, n)
    return _transform(x, fft_type, axes, lengths, norm, fft_type == "fft")


def _one_axis(n, axis):
    return None if n is None else (n,), (axis,)


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    return _cfft(a, *_one_axis(n, axis), norm, "fft", "fft")


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    return _cfft(a, *_one_axis(n, axis), norm, "ifft", "ifft")


def fftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None):
    return _cfft(a, s, axes, norm, "fft", "fftn")


def ifftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None):
    return _cfft(a, s, axes, norm, "ifft", "ifftn")


def fft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None):
    return _cfft(a, s, axes, norm, "fft", "fft2")


def ifft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None):
    return _cfft(a, s, axes, norm, "ifft", "ifft2")


def rfftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None):
    """The transform of real input over ``axes``, the last one halved to n // 2 + 1."""
    _check_norm(norm, "rfftn")
    x = _as_value(a)
    try:
        x = _to(x, "f")
    except TypeError as e:
        raise TypeError(f"rfftn: {e}") from None
    axes, lengths = _axes_and_lengths(x, s, axes, "rfftn")
    for ax, n in zip(axes, lengths):
        x = _resize(x, ax, n)
    return _transform(x, "rfft", axes, lengths, norm, True)


def irfftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None):
    """The inverse of ``rfftn``: real output of lengths ``s`` (the last one defaults to
    2 * (m - 1)); the input's last axis is cut or padded to s[-1] // 2 + 1."""
    _check_norm(norm, "irfftn")
    x = _to(_as_value(a), "c")
    axes, lengths = _axes_and_lengths(x, s, axes, "irfftn", real_last_in=True)
    for ax, n in zip(axes[:-1], lengths[:-1]):
        x = _resize(x, ax, n)
    x = _resize(x, axes[-1], lengths[-1] // 2 + 1)
    return _transform(x, "irfft", axes, lengths, norm, False)


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    return rfftn(a, *_one_axis(n, axis), norm)


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    return irfftn(a, *_one_axis(n, axis), norm)


def rfft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None):
    return rfftn(a, s, axes, norm)


def irfft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None):
    return irfftn(a, s, axes, norm)


def _shift(x, axes, sign: int):
    x = _as_value(x)
    shape = get_aval(x).shape
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(SH.normalize_axis(a, len(shape), "fftshift") for a in axes)
    if not axes:
        return x
    return roll(x, [sign * (shape[a] // 2) for a in axes], axes)


def fftshift(x, axes: int | Sequence[int] | None = None):
    """The zero frequency moved to the middle (a roll by n // 2 along ``axes``)."""
    return _shift(x, axes, 1)


def ifftshift(x, axes: int | Sequence[int] | None = None):
    """The inverse of ``fftshift`` (a roll by -(n // 2))."""
    return _shift(x, axes, -1)


def _freqs(np_fn, n, d, dtype):
    n = _length(n, np_fn.__name__)
    if isinstance(d, Tracer):                   # a traced spacing: differentiable in d
        return E.div(np_fn(n, 1.0).astype(dtype or np.float64), d)
    out = np_fn(n, d)
    return out if dtype is None else out.astype(dtype)


def fftfreq(n: int, d=1.0, *, dtype=None):
    """The sample frequencies of ``fft(n)`` for sample spacing ``d``."""
    return _freqs(np.fft.fftfreq, n, d, dtype)


def rfftfreq(n: int, d=1.0, *, dtype=None):
    """The sample frequencies of ``rfft(n)`` for sample spacing ``d``."""
    return _freqs(np.fft.rfftfreq, n, d, dtype)
