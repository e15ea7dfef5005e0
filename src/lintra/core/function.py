"""Function values (design §7): a value whose type is a function signature.

``core`` knows what evaluating and type-checking needs: the type of a function value
(``FnType``: argument and result avals, plus the quadrature attached to each argument's
domain) and its concrete form (``FnValue``: a Python callable over lintra arrays). The
operators on function values and their derivative rules live in ``lintra.functional``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .avals import ShapedArray


def _tree_str(out) -> str:
    if isinstance(out, tuple):
        return "(" + ", ".join(_tree_str(o) for o in out) + ")"
    return out.str_short()


def out_leaves(out) -> list[ShapedArray]:
    """The result avals of a (possibly tuple-valued) function type, flattened."""
    if isinstance(out, tuple):
        return [a for o in out for a in out_leaves(o)]
    return [out]


class FnType:
    """The aval of a function value: ``args -> out``. ``out`` is an aval or a tuple of them
    (a tuple-valued function). ``domain`` holds, per argument, the quadrature its domain
    carries (or None); it is metadata, not part of type equality."""

    __slots__ = ("args", "out", "domain")
    is_function = True
    shape = ()
    ndim = 0
    size = 1
    weak_type = False

    def __init__(self, args: tuple[ShapedArray, ...], out, domain: tuple | None = None):
        self.args = tuple(a.strip_weak() for a in args)
        self.out = out
        self.domain = tuple(domain) if domain is not None else (None,) * len(self.args)
        if len(self.domain) != len(self.args):
            raise ValueError(f"a function of {len(self.args)} arguments was given "
                             f"{len(self.domain)} domains")

    @property
    def dtype(self) -> np.dtype:
        return out_leaves(self.out)[0].dtype

    @property
    def is_float(self) -> bool:
        return all(a.is_float for a in out_leaves(self.out))

    @property
    def is_complex(self) -> bool:
        return any(a.is_complex for a in out_leaves(self.out))

    @property
    def nargs(self) -> int:
        return len(self.args)

    def strip_weak(self) -> FnType:
        return self

    def with_domain(self, domain) -> FnType:
        return FnType(self.args, self.out, domain)

    def __eq__(self, other) -> bool:
        return (isinstance(other, FnType) and self.args == other.args
                and self.out == other.out)

    def __hash__(self) -> int:
        return hash((self.args, self.out))

    def str_short(self) -> str:
        return f"fn({', '.join(a.str_short() for a in self.args)}) -> {_tree_str(self.out)}"

    __repr__ = str_short

    def zeros(self) -> FnValue:
        return zero_function(self)


def _zeros_tree(out):
    if isinstance(out, tuple):
        return tuple(_zeros_tree(o) for o in out)
    return np.zeros(out.shape, out.dtype)


def zero_function(t: FnType) -> FnValue:
    return _ZeroFn(t, lambda *args: _zeros_tree(t.out), "0")


def _add_trees(a, b):
    if isinstance(a, tuple):
        return tuple(_add_trees(x, y) for x, y in zip(a, b))
    return a + b


_LABEL_MAX = 120


class FnValue:
    """A concrete function value: ``fun(*args)`` evaluates it at one point (arguments of the
    shapes in ``type.args``); ``label`` says what it is when printed. Derived functions are
    lazy: their ``fun`` calls their parts' ``fun`` (evaluating one under a trace inlines it)."""

    __slots__ = ("type", "fun", "label", "captures", "inverse", "__weakref__")
    is_measure = False      # a measure (point masses) is a cotangent, not a pointwise function

    def __init__(self, type: FnType, fun: Callable, label: str = "fn",  # noqa: A002
                 captures: tuple = ()):
        self.type = type
        self.fun = fun
        # labels nest their parts' labels: bounded, or repeated steps f ← f − η·g would
        # build strings that grow geometrically
        self.label = label if len(label) <= _LABEL_MAX else label[:_LABEL_MAX - 1] + "…"
        # the traced values ``fun`` reads (a function built from traced parameters): staging
        # turns such a value into a function of them instead of a literal
        self.captures = captures
        self.inverse: FnValue | None = None     # declared by the user (change of variables)

    @property
    def lintra_aval(self) -> FnType:
        return self.type

    def __call__(self, *args):
        return self.fun(*args)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, FnValue) and other.type == self.type:
            return add_functions(self, other)
        return _pointwise(operator.add, self, other)

    # arithmetic on bare function values (what ``tree_map`` over Functions sees) is pointwise
    def __radd__(self, other):
        return _pointwise(operator.add, other, self)

    def __sub__(self, other):
        return _pointwise(operator.sub, self, other)

    def __rsub__(self, other):
        return _pointwise(operator.sub, other, self)

    def __mul__(self, other):
        return _pointwise(operator.mul, self, other)

    def __rmul__(self, other):
        return _pointwise(operator.mul, other, self)

    def __truediv__(self, other):
        return _pointwise(operator.truediv, self, other)

    def __neg__(self):
        return _pointwise(operator.neg, self)

    def __repr__(self) -> str:
        return f"<function {self.label} : {self.type.str_short()}>"


def _pointwise(op, *args):
    if pointwise is None:
        return NotImplemented
    return pointwise(op, args, {})


class _ZeroFn(FnValue):
    __slots__ = ()


def add_functions(f: FnValue, g: FnValue) -> FnValue:
    """The pointwise sum of two function values of one type (how cotangents accumulate)."""
    if isinstance(f, _ZeroFn):
        return g
    if isinstance(g, _ZeroFn):
        return f
    if f.is_measure:                    # a measure (lintra.functional.Measure) adds itself
        return f.plus(g)
    if g.is_measure:
        return g.plus(f)
    ff, gf = f.fun, g.fun
    domain = tuple(a if a is not None else b for a, b in zip(f.type.domain, g.type.domain))
    return FnValue(f.type.with_domain(domain), lambda *x: _add_trees(ff(*x), gf(*x)),
                   f"({f.label} + {g.label})", captures_of(f, g))


def captures_of(*vals: Any) -> tuple:
    """The traced values that function values (and traced arrays) among ``vals`` read."""
    out: list = []
    seen: set = set()
    for v in vals:
        caps = v.captures if isinstance(v, FnValue) else (
            (v,) if hasattr(v, "_trace") else ())
        for c in caps:
            if id(c) not in seen:
                seen.add(id(c))
                out.append(c)
    return tuple(out)


class FunctionLike:
    """Marker base of the user-facing function class (``lintra.functional.Function``): the
    NumPy-style functions of ``lintra.numpy`` apply pointwise to its instances."""

    __slots__ = ()


# Set by ``lintra.functional`` on import: ``pointwise(fn, args, kwargs)`` applies a
# ``lintra.numpy`` function pointwise to arguments some of which are functions;
# ``closure_convert(fn_value)`` rewrites a function value that reads traced values as an
# operator applied to them (what staging records instead of a literal).
pointwise: Callable | None = None
closure_convert: Callable | None = None


def is_function_arg(x: Any) -> bool:
    """Whether ``x`` is a function value (user-facing, concrete or traced)."""
    if isinstance(x, (FunctionLike, FnValue)):
        return True
    aval = getattr(x, "aval", None)
    return getattr(aval, "is_function", False) and hasattr(x, "_trace")
