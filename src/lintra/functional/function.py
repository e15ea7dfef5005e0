"""The user-facing ``Function``: a callable value with a type, for ``lintra.functional``.

A ``Function`` wraps a *payload*: a concrete ``FnValue`` or, inside a transformation, a traced
value of ``FnType``. It is a pytree node whose one child is the payload, so every
transformation (grad, jvp, vjp, linearize, jit, vmap) sees function values as leaves and the
user always gets ``Function``s back.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as lnp
from ..core import function as core_function
from ..core.avals import DEFAULT_FLOAT, ShapedArray
from ..core.errors import ConcretizationError
from ..core.eval import eval_program
from ..core.function import FnType, FnValue, FunctionLike, is_function_arg
from ..core.pytree import flatten, register_pytree_node, unflatten
from ..core.staging import trace_to_program
from ..core.trace import Tracer, get_aval
from ..jit import jit
from ..vmap import vmap
from . import measures as M
from . import primitives as P
from .primitives import fn_type
from .quadrature import Quadrature


class Function(FunctionLike):
    """A function value: call it on arrays to evaluate it (leading axes beyond its signature
    are evaluated pointwise, like a NumPy gufunc), on Functions to compose. Arithmetic and
    every elementwise ``lintra.numpy`` function apply pointwise and return Functions."""

    __slots__ = ("value",)
    __array_ufunc__ = None          # NumPy defers to our reflected operators

    def __new__(cls, value: Any = None):
        v = value.value if isinstance(value, Function) else value
        if cls is Function and getattr(v, "is_measure", False):
            cls = PointMass
        return object.__new__(cls)

    def __init__(self, value: Any):
        self.value = value.value if isinstance(value, Function) else value

    @property
    def type(self) -> FnType:
        return fn_type(self.value)

    @property
    def domain(self) -> tuple:
        return self.type.domain

    @property
    def nargs(self) -> int:
        return self.type.nargs

    @property
    def signature(self) -> str:
        """The gufunc-style signature, e.g. ``"(3),()->()"``."""
        t = self.type
        shapes = [t.out] if not isinstance(t.out, tuple) else list(t.out)
        def fmt(a):
            return "(" + ",".join(map(str, a.shape)) + ")"
        out = ",".join(fmt(a) for a in shapes)
        return ",".join(fmt(a) for a in t.args) + "->" + (out if len(shapes) == 1
                                                          else "(" + out + ")")

    @property
    def dtype(self):
        return self.type.args[0].dtype if self.type.args else self.type.dtype

    def __call__(self, *args):
        if not args:
            raise TypeError(f"{self!r} needs {self.nargs} arguments")
        if any(is_function_arg(a) or _is_python_function(a) for a in args):
            return _call_on_functions(self, args)
        return evaluate(self, *args)

    def __repr__(self) -> str:
        v = self.value
        what = v.label if isinstance(v, FnValue) else "traced"
        return f"Function<{self.type.str_short()}>({what})"

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Function is undefined (compare pointwise with "
                        "lintra.numpy functions)")


def _op(name: str, swap: bool = False):
    if swap:
        return lambda self, other: getattr(lnp, name)(other, self)
    return lambda self, other: getattr(lnp, name)(self, other)


for _op_name, _np_name in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                           ("truediv", "divide"), ("pow", "power"), ("mod", "remainder"),
                           ("matmul", "matmul")):
    setattr(Function, f"__{_op_name}__", _op(_np_name))
    setattr(Function, f"__r{_op_name}__", _op(_np_name, swap=True))
for _op_name, _np_name in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                           ("ge", "greater_equal")):
    setattr(Function, f"__{_op_name}__", _op(_np_name))      # == stays identity
Function.__neg__ = lambda self: lnp.negative(self)
Function.__pos__ = lambda self: self
Function.__abs__ = lambda self: lnp.abs(self)

class PointMass(Function):
    """A measure: weighted point masses Σⱼ wⱼ δ(x − xⱼ) plus a density — what ``grad`` returns
    for functionals that evaluate their function at points (``f(x0)``). It integrates
    exactly (``integrate``, ``braket``), adds to Functions and scales by them, and has no
    value at a point."""

    __slots__ = ()

    @property
    def points(self) -> tuple:
        """Per argument, the atoms' positions (leading axis over the atoms)."""
        return self.value.points

    @property
    def weights(self):
        return self.value.weights

    @property
    def density(self) -> Function | None:
        d = self.value.density
        return None if d is None else Function(d)

    def __repr__(self) -> str:
        v = self.value
        pts = ", ".join(np.array2string(np.asarray(p), precision=4) for p in v.points)
        return (f"PointMass<{self.type.str_short()}>(at {pts or '[]'}, weights "
                f"{np.array2string(np.asarray(v.weights), precision=4)}"
                + (f", density {v.density.label}" if v.density is not None else "") + ")")


def _unflatten_function(aux, children):
    return Function(children[0])


for _cls in (Function, PointMass):
    register_pytree_node(_cls, lambda f: ([f.value], None), _unflatten_function)


def payload(x: Any, who: str = "argument") -> Any:
    """The function value inside ``x`` (a Function, an FnValue or a traced function)."""
    if isinstance(x, Function):
        return x.value
    if is_function_arg(x):
        return x
    raise TypeError(f"{who}: expected a lintra.functional.Function, got {type(x).__name__} "
                    "(make one with lintra.functional.function(callable, signature))")


def _is_python_function(x: Any) -> bool:
    return callable(x) and not isinstance(x, (Function, FnValue, Tracer, np.ndarray))


# ---------------------------------------------------------------- evaluation

def evaluate(f: Function, *xs):
    t = f.type
    if len(xs) != t.nargs:
        raise TypeError(f"{f!r} takes {t.nargs} arguments, got {len(xs)}")
    vals, batch = [], None
    for k, (x, a) in enumerate(zip(xs, t.args)):
        if not isinstance(x, Tracer):
            x = np.asarray(x, a.dtype)
        shape = get_aval(x).shape
        b = len(shape) - a.ndim
        if b < 0 or tuple(shape[b:]) != a.shape:
            raise TypeError(f"argument {k} of {f!r} must have shape {a.shape} (plus leading "
                            f"batch axes), got {tuple(shape)}")
        if batch is not None and b != batch:
            raise TypeError(f"{f!r}: the arguments have different numbers of batch axes")
        batch = b
        vals.append(x)
    v = f.value
    if not isinstance(v, FnValue):
        return P.evaluate(v, *vals, batch=batch)
    if not v.captures and not v.is_measure and not any(isinstance(x, Tracer) for x in vals):
        compiled = _compiled(v, batch)
        if compiled is not None:
            return compiled(*vals)
    fun = v.fun
    for _ in range(batch):
        fun = vmap(fun)
    return fun(*vals)


# a concrete function evaluated on concrete points: its lazy expression (nested closures,
# derivatives of derivatives) is staged once per function and batch rank, then the program
# runs (a δF/δf at a point: ~1 ms re-tracing the closures, tens of µs as a program)
_compiled_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(v: FnValue, batch: int):
    per_value = _compiled_cache.setdefault(v, {})
    if batch not in per_value:
        fun = v.fun
        for _ in range(batch):
            fun = vmap(fun)
        per_value[batch] = jit(fun)
    run = per_value[batch]
    if run is None:
        return None

    def call(*xs):
        try:
            return run(*xs)
        except ConcretizationError:        # Python control flow on the value: run plainly
            per_value[batch] = None
            fun = v.fun
            for _ in range(batch):
                fun = vmap(fun)
            return fun(*xs)
    return call


# ---------------------------------------------------------------- construction

_GROUP = re.compile(r"\(([^()]*)\)")


def _parse_shapes(part: str, who: str) -> list[tuple[int, ...]]:
    part = part.strip()
    groups = _GROUP.findall(part)
    if not groups and part:
        raise ValueError(f"{who}: cannot read {part!r} (write shapes like '(3)', '()')")
    shapes = []
    for g in groups:
        dims = [d.strip() for d in g.split(",") if d.strip()]
        try:
            shapes.append(tuple(int(d) for d in dims))
        except ValueError:
            raise ValueError(f"{who}: dimensions must be integers, got ({g})") from None
    return shapes


def parse_signature(signature: str) -> tuple[list, list | None]:
    """``"(3),()->()"`` -> ([(3,), ()], [()]); the result part may be omitted."""
    who = f"signature {signature!r}"
    if "->" in signature:
        ins, outs = signature.split("->", 1)
        return _parse_shapes(ins, who), _parse_shapes(outs, who)
    return _parse_shapes(signature, who), None


def _domain_tuple(domain, n: int) -> tuple:
    if domain is None:
        return (None,) * n
    if isinstance(domain, Quadrature):
        return (domain,) * n
    domain = tuple(domain)
    if len(domain) != n:
        raise ValueError(f"domain: {len(domain)} quadratures for {n} arguments")
    return domain


def _out_type(out_avals: list, tree) -> Any:
    return unflatten(tree, out_avals)


def function(fun: Callable | Function, signature: str = "()->()", *, dtype=None,
             domain: Quadrature | Sequence | None = None,
             inverse: Callable | None = None) -> Function:
    """A Function from a Python callable over ``lintra.numpy`` values.

    ``signature`` is NumPy's gufunc notation with fixed sizes: ``"()->()"`` (the default),
    ``"(3)->()"``, ``"(),()->()"``. ``dtype`` is the arguments' float type (float64 by
    default). ``domain`` attaches a quadrature (one, or one per argument) that ``integrate``
    uses when it is not given one. A callable that closes over traced values (parameters
    under grad or jit) becomes a function of them, so derivatives flow to them. ``inverse``
    declares the inverse map (for a function of one argument whose result has the
    argument's shape): the gradient with respect to g of ∫ u·g(h) is then the density
    (u·|det ∇h⁻¹|)∘h⁻¹ instead of point masses at h(xᵢ)."""
    if isinstance(fun, Function):
        if domain is None:
            return fun
        return Function(_with_domain(fun.value, _domain_tuple(domain, fun.nargs)))
    if not callable(fun):
        raise TypeError(f"function: expected a callable, got {type(fun).__name__}")
    arg_shapes, out_shapes = parse_signature(signature)
    dt = np.dtype(dtype) if dtype is not None else DEFAULT_FLOAT
    args = tuple(ShapedArray(s, dt) for s in arg_shapes)
    dom = _domain_tuple(domain, len(args))
    key = (fun, signature, dt.str, dom, inverse)
    try:
        hit = _functions.get(key)
    except TypeError:                   # an unhashable callable
        hit = key = None
    if hit is not None:                 # the same callable and type: the same node
        return Function(hit)
    store: dict = {}

    def flat(*xs):
        leaves, store["tree"] = flatten(fun(*xs))
        return leaves

    try:
        program, consts = trace_to_program(flat, list(args), getattr(fun, "__name__", "f"))
        out_avals = [v.aval.strip_weak() for v in program.outs]
    except ConcretizationError:      # Python control flow on the value: run it at a point
        consts = []
        out_avals = [get_aval(o).strip_weak()
                     for o in flat(*[np.zeros(a.shape, a.dtype) for a in args])]
    out = _out_type(out_avals, store["tree"])
    _check_out(out, out_shapes, signature)
    label = getattr(fun, "__name__", "fn")
    captures = tuple(c for c in consts if isinstance(c, Tracer))
    value = FnValue(FnType(args, out, dom), fun, label, captures)
    if inverse is not None:
        if len(args) != 1 or not isinstance(out, ShapedArray) or out.shape != args[0].shape:
            raise TypeError("function: an inverse is declared for functions of one argument "
                            "whose result has the argument's shape")
        value.inverse = FnValue(FnType((out,), args[0]), inverse, f"{label}⁻¹")
    if key is not None and not captures:
        _functions[key] = value
    return Function(value)


_functions: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _check_out(out, out_shapes, signature: str) -> None:
    if out_shapes is None:
        return
    leaves = [out] if isinstance(out, ShapedArray) else list(out)
    if [getattr(a, "shape", None) for a in leaves] != out_shapes:
        got = ", ".join(a.str_short() if isinstance(a, ShapedArray) else str(a)
                        for a in leaves)
        raise TypeError(f"function: the signature {signature!r} says the result has shape(s) "
                        f"{out_shapes}, the callable returns {got}")


def closure_convert(v: FnValue) -> Any:
    """A function value that reads traced values, as ``partial(base, values)`` where ``base``
    takes them as arguments: how it enters a transformation or a staged program."""
    t = v.type
    store: dict = {}

    def flat(*xs):
        leaves, store["tree"] = flatten(v.fun(*xs))
        return leaves

    program, consts = trace_to_program(flat, list(t.args), v.label)
    if not consts:
        return FnValue(t, v.fun, v.label)
    const_avals = tuple(get_aval(c).strip_weak() for c in consts)
    k, tree = len(consts), store["tree"]

    def base_fun(*xs):
        return unflatten(tree, eval_program(program, list(xs)))
    base = FnValue(FnType(const_avals + t.args, t.out, (None,) * k + t.domain), base_fun,
                   v.label)
    return P.partial_p.bind(base, *consts, argnums=tuple(range(k)))


core_function.closure_convert = closure_convert


def _with_domain(v, domain: tuple):
    t = fn_type(v)
    if isinstance(v, FnValue):
        return FnValue(t.with_domain(domain), v.fun, v.label)
    ids = tuple(range(t.nargs))
    return P.broadcast_arg(v, t.with_domain(domain), ids)


# ---------------------------------------------------------------- pointwise application

_op_types: dict = {}


def _op_function(fn: Callable, arg_avals: tuple, const_at: dict, kwargs: dict) -> FnValue:
    """``fn`` as a function of the values of its function arguments (constants closed)."""
    n = len(arg_avals) + len(const_at)

    def op(*vals):
        it = iter(vals)
        return fn(*[const_at[i] if i in const_at else next(it) for i in range(n)], **kwargs)

    key = None
    try:
        key = (fn, arg_avals, tuple(sorted((i, type(c), c) for i, c in const_at.items()
                                           if np.ndim(c) == 0)), tuple(sorted(kwargs.items())))
        hash(key)
        if any(np.ndim(c) for c in const_at.values()):
            key = None
    except TypeError:
        key = None
    hit = _op_types.get(key) if key is not None else None
    if hit is not None:             # one node per (op, types, constants): hash-consing
        return hit
    program, _ = trace_to_program(lambda *v: [op(*v)], list(arg_avals),
                                  getattr(fn, "__name__", "op"))
    out = FnValue(FnType(arg_avals, program.outs[0].aval.strip_weak()), op,
                  getattr(fn, "__name__", "op"))
    if key is not None:
        _op_types[key] = out
    return out


def pointwise(fn: Callable, args: tuple, kwargs: dict):
    """``fn`` applied pointwise: ``x ↦ fn(f(x), g(x), c, …)`` for function arguments f, g
    (which must take the same arguments) and array constants c."""
    fns, const_at, traced = [], {}, []
    for i, a in enumerate(args):
        if is_function_arg(a):
            fns.append((i, payload(a)))
        elif isinstance(a, Tracer):
            traced.append((i, a))
        else:
            const_at[i] = a
    types = [fn_type(p) for _, p in fns]
    base = types[0]
    for t in types[1:]:
        if t.args != base.args:
            raise TypeError(
                f"lintra.numpy.{getattr(fn, '__name__', 'function')}: pointwise on functions "
                f"of different arguments ({base.str_short()} and {t.str_short()}); lift one "
                "with lintra.functional.broadcast_arg or compose")
        if isinstance(t.out, tuple):
            raise TypeError("pointwise arithmetic on a tuple-valued function: split it first")
    domain = tuple(next((t.domain[k] for t in types if t.domain[k] is not None), None)
                   for k in range(base.nargs))
    inner = dict(fns)
    for i, c in traced:                 # traced arrays become constant functions
        inner[i] = P.constant(c, base.with_domain(domain))
    order = sorted(inner)
    arg_avals = tuple(fn_type(inner[i]).out for i in order)
    op = _op_function(fn, arg_avals, const_at, kwargs)
    parts = [inner[i] for i in order]
    if any(M.is_measure(p) for p in parts):
        return Function(M.pointwise_measures(op, parts, base.args, domain))
    return Function(P.compose(op, *parts, args=base.args, domain=domain))


core_function.pointwise = pointwise


# ---------------------------------------------------------------- calling on functions

def _call_on_functions(f: Function, args: tuple) -> Function:
    """``f(g1, g2)`` composes (inputs concatenated); arrays among the arguments are bound
    first (``partial``)."""
    arrays = [(k, a) for k, a in enumerate(args) if not (is_function_arg(a)
                                                         or _is_python_function(a))]
    fv = f.value
    if arrays:
        fv = P.partial(fv, [a for _, a in arrays], tuple(k for k, _ in arrays))
    gs = [as_function(a, "composing").value for a in args
          if is_function_arg(a) or _is_python_function(a)]
    return Function(compose_unshared(fv, gs))


def compose_unshared(fv, gs: list):
    g_types = [fn_type(g) for g in gs]
    args, domain, maps, n = [], [], [], 0
    for t in g_types:
        maps.append(tuple(range(n, n + t.nargs)))
        args.extend(t.args)
        domain.extend(t.domain)
        n += t.nargs
    return P.compose(fv, *gs, maps=maps, args=args, domain=domain)


def as_function(x: Any, who: str, like: Sequence[ShapedArray] | None = None) -> Function:
    """A Function from a Function, a payload, or (given the argument types ``like``) a plain
    Python callable."""
    if isinstance(x, Function):
        return x
    if is_function_arg(x):
        return Function(x)
    if callable(x) and like is not None:
        sig = ",".join("(" + ",".join(map(str, a.shape)) + ")" for a in like)
        dts = {a.dtype for a in like}
        return function(x, sig, dtype=dts.pop() if len(dts) == 1 else None)
    raise TypeError(f"{who}: expected a lintra.functional.Function, got {type(x).__name__}")
