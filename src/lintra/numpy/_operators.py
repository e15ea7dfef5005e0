"""Python operators and array methods on traced values, following ``lintra.numpy``."""

from __future__ import annotations

from ..core.trace import Tracer


def _swap(f):
    return lambda self, other: f(other, self)


def install() -> None:
    from .. import numpy as lnp
    T = Tracer
    T.__neg__ = lambda self: lnp.negative(self)
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: lnp.abs(self)
    T.__add__, T.__radd__ = lnp.add, _swap(lnp.add)
    T.__sub__, T.__rsub__ = lnp.subtract, _swap(lnp.subtract)
    T.__mul__, T.__rmul__ = lnp.multiply, _swap(lnp.multiply)
    T.__truediv__, T.__rtruediv__ = lnp.divide, _swap(lnp.divide)
    T.__floordiv__, T.__rfloordiv__ = lnp.floor_divide, _swap(lnp.floor_divide)
    T.__mod__, T.__rmod__ = lnp.remainder, _swap(lnp.remainder)
    T.__pow__, T.__rpow__ = lnp.power, _swap(lnp.power)
    T.__lt__, T.__le__ = lnp.less, lnp.less_equal
    T.__gt__, T.__ge__ = lnp.greater, lnp.greater_equal
    T.__eq__, T.__ne__ = lnp.equal, lnp.not_equal
    T.__and__, T.__rand__ = lnp.bitwise_and, _swap(lnp.bitwise_and)
    T.__or__, T.__ror__ = lnp.bitwise_or, _swap(lnp.bitwise_or)
    T.__xor__, T.__rxor__ = lnp.bitwise_xor, _swap(lnp.bitwise_xor)
    T.__invert__ = lambda self: lnp.invert(self)
    if hasattr(lnp, "matmul"):
        T.__matmul__, T.__rmatmul__ = lnp.matmul, _swap(lnp.matmul)
    if hasattr(lnp, "getitem"):
        T.__getitem__ = lnp.getitem
    if hasattr(lnp, "at_property"):
        T.at = property(lnp.at_property)
    T.T = property(lambda self: lnp.transpose(self))
    T.mT = property(lambda self: lnp.swapaxes(self, -1, -2))
    T.astype = lambda self, dtype: lnp.astype(self, dtype)
    T.reshape = lambda self, *shape, **kw: lnp.reshape(
        self, shape[0] if len(shape) == 1 else shape, **kw)
    T.transpose = lambda self, *axes: lnp.transpose(
        self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)
    T.ravel = T.flatten = lambda self: lnp.ravel(self)
    T.squeeze = lambda self, axis=None: lnp.squeeze(self, axis)
    for name in ("sum", "mean", "max", "min", "prod", "var", "std", "argmax", "argmin",
                 "cumsum", "cumprod", "dot", "clip", "swapaxes", "repeat"):
        fn = getattr(lnp, name, None)
        if fn is not None:
            setattr(T, name, (lambda f: lambda self, *a, **k: f(self, *a, **k))(fn))
