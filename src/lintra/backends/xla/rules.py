"""The XLA lowering of every array primitive, keyed by the ``Primitive`` object.

The backend imports ``core`` only, so it finds the primitives it lowers in
``core.primitive.registry`` once, when this table is built; from then on everything is keyed
by the object. lintra's semantics are NumPy's, and so are ``jax.numpy``'s on the dtypes
lintra has, with these differences handled here: reductions keep their input dtype (no
int32 -> int64 promotion), indices are in bounds by contract (the interpreter checks them;
XLA cannot raise), and ``scatter`` with duplicate indices keeps the last update (XLA leaves
the order unspecified).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ...core.primitive import Primitive, registry
from .lowering import jitted_program, lower_program, register_lowering

# primitives on function values (lintra.functional): they hold Python callables, not arrays,
# and run on the interpreter only
NOT_LOWERED = frozenset({
    "fn_compose", "fn_permute_args", "fn_broadcast_arg", "fn_constant", "fn_zip", "fn_split",
    "fn_partial", "fn_eval", "fn_linearize", "fn_linear_transpose", "fn_nabla",
    "fn_integrate", "fn_point_mass"})


def _prim(name: str) -> Primitive:
    return registry[name]


def _lower(name: str):
    def register(rule):
        return register_lowering(_prim(name), rule)
    return register


# ---------------------------------------------------------------- elementwise

_UNARY = {
    "neg": jnp.negative, "exp": jnp.exp, "expm1": jnp.expm1, "log": jnp.log,
    "log1p": jnp.log1p, "sqrt": jnp.sqrt, "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan,
    "asin": jnp.arcsin, "acos": jnp.arccos, "atan": jnp.arctan, "sinh": jnp.sinh,
    "cosh": jnp.cosh, "tanh": jnp.tanh, "asinh": jnp.arcsinh, "acosh": jnp.arccosh,
    "atanh": jnp.arctanh, "logistic": lax.logistic, "erf": lax.erf, "abs": jnp.abs,
    "sign": jnp.sign, "floor": jnp.floor, "ceil": jnp.ceil, "round": jnp.round,
    "not": jnp.invert, "stop_gradient": lambda x: x,
}
_BINARY = {
    "add": jnp.add, "add_any": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply,
    "div": jnp.true_divide, "pow": jnp.power, "atan2": jnp.arctan2, "rem": jnp.remainder,
    "max": jnp.maximum, "min": jnp.minimum, "eq": jnp.equal, "ne": jnp.not_equal,
    "lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater, "ge": jnp.greater_equal,
    "and": jnp.bitwise_and, "or": jnp.bitwise_or, "xor": jnp.bitwise_xor,
}
for _name, _fn in {**_UNARY, **_BINARY}.items():
    register_lowering(_prim(_name), _fn)

_lower("integer_pow")(lambda x, *, n: lax.integer_pow(x, n))


@_lower("convert_element_type")
def _convert(x, *, dtype):
    if jnp.iscomplexobj(x) and np.dtype(dtype).kind != "c":
        x = jnp.real(x)             # complex -> real keeps the real part, as the interpreter
    return lax.convert_element_type(x, dtype)


_lower("select")(jnp.where)
_lower("name")(lambda x, *, name: x)

# ---------------------------------------------------------------- shape and structure

_lower("broadcast_to")(lambda x, *, shape: jnp.broadcast_to(x, shape))
_lower("reshape")(lambda x, *, shape: jnp.reshape(x, shape))
_lower("transpose")(lambda x, *, perm: lax.transpose(x, perm))
_lower("concatenate")(lambda *xs, axis: jnp.concatenate(xs, axis=axis))
_lower("slice")(lambda x, *, start, limit, strides: lax.slice(x, start, limit, strides))
_lower("pad")(lambda x, padval, *, config: lax.pad(x, padval, config))
_lower("rev")(lambda x, *, axes: lax.rev(x, axes) if axes else x)

# ---------------------------------------------------------------- reductions

_lower("reduce_sum")(lambda x, *, axes: jnp.sum(x, axis=axes, dtype=x.dtype))
_lower("reduce_prod")(lambda x, *, axes: jnp.prod(x, axis=axes, dtype=x.dtype))
_lower("reduce_max")(lambda x, *, axes: jnp.max(x, axis=axes))
_lower("reduce_min")(lambda x, *, axes: jnp.min(x, axis=axes))
_lower("argmax")(lambda x, *, axis: jnp.argmax(x, axis=axis))
_lower("argmin")(lambda x, *, axis: jnp.argmin(x, axis=axis))
_lower("cumsum")(lambda x, *, axis, reverse: lax.cumsum(x, axis, reverse))
_lower("cumprod")(lambda x, *, axis, reverse: lax.cumprod(x, axis, reverse))

# ---------------------------------------------------------------- indexing


def _index(idx, axis: int) -> tuple:
    """Index vectors (last axis of ``idx``) addressing axes ``axis..`` as a NumPy index."""
    return (slice(None),) * axis + tuple(idx[..., j] for j in range(idx.shape[-1]))


def _static_window(shape, idx, axis: int):
    """For one constant index vector: the (start, limit) of the one-element window."""
    start, limit = [0] * len(shape), list(shape)
    for j, i in enumerate(idx):
        start[axis + j], limit[axis + j] = int(i), int(i) + 1
    return start, limit


def _is_static(idx) -> bool:
    """A constant single index vector (a scalar read in unrolled code): static slices
    compile far faster than gathers and scatters."""
    return isinstance(idx, np.ndarray) and idx.ndim == 1


@_lower("take")
def _take(x, idx, *, axis):
    if _is_static(idx):
        start, limit = _static_window(x.shape, idx, axis)
        out = x.shape[:axis] + x.shape[axis + idx.shape[0]:]
        return lax.slice(jnp.asarray(x), start, limit).reshape(out)
    return jnp.asarray(x).at[_index(idx, axis)].get(mode="promise_in_bounds")


@_lower("scatter_add")
def _scatter_add(op, idx, upd, *, axis):
    op = jnp.asarray(op)
    if _is_static(idx):
        start, limit = _static_window(op.shape, idx, axis)
        window = lax.slice(op, start, limit)
        return lax.dynamic_update_slice(op, window + upd.reshape(window.shape), start)
    return op.at[_index(idx, axis)].add(upd, mode="promise_in_bounds")


def _winners(idx):
    """True where an index vector does not occur again later in row-major order."""
    k = idx.shape[-1]
    flat = jnp.asarray(idx).reshape(-1, k)
    m = flat.shape[0]
    if m == 0:
        return jnp.zeros(idx.shape[:-1], bool)
    pos = jnp.arange(m)
    # stable order by (vector, position): the last of equal vectors ends each run
    order = jnp.lexsort((pos,) + tuple(flat[:, j] for j in reversed(range(k))))
    s = flat[order]
    last = jnp.concatenate([jnp.any(s[1:] != s[:-1], axis=1), jnp.ones(1, bool)])
    return jnp.zeros(m, bool).at[order].set(last).reshape(idx.shape[:-1])


_lower("index_winners")(_winners)


@_lower("scatter")
def _scatter(op, idx, upd, *, axis, unique):
    if not unique and idx.ndim > 1:
        # losers write out of bounds, where mode="drop" discards them
        bound = jnp.asarray(op.shape[axis], idx.dtype)
        idx = jnp.where(_winners(idx)[..., None], idx, bound)
    return jnp.asarray(op).at[_index(idx, axis)].set(upd, mode="drop")


# ---------------------------------------------------------------- linear algebra

_lower("dot_general")(lambda x, y, *, dimension_numbers: lax.dot_general(
    x, y, dimension_numbers))


@_lower("triangular_solve")
def _triangular_solve(a, b, *, lower, transpose_a, left_side, unit_diagonal):
    return lax.linalg.triangular_solve(a, b, left_side=left_side, lower=lower,
                                       transpose_a=transpose_a, unit_diagonal=unit_diagonal)


_lower("solve")(jnp.linalg.solve)
_lower("cholesky")(lambda a: lax.linalg.cholesky(a, symmetrize_input=True))
_lower("slogdet")(lambda a: list(jnp.linalg.slogdet(a)))

# ---------------------------------------------------------------- control flow


def _split3(args, a: int, b: int):
    return list(args[:a]), list(args[a:a + b]), list(args[a + b:])


@_lower("cond")
def _cond(index, *ops, branches):
    fns = [lower_program(b) for b in branches]
    if len(fns) == 1:
        return fns[0](*ops)
    return lax.switch(index, fns, *ops)


@_lower("scan")
def _scan(*args, body, num_consts, num_carry, length, reverse, donate):
    consts, carry, xs = _split3(args, num_consts, num_carry)
    f = lower_program(body)

    def step(c, x):
        outs = f(*consts, *c, *x)
        return outs[:num_carry], outs[num_carry:]

    carry, ys = lax.scan(step, carry, xs, length=length, reverse=reverse)
    return [*carry, *ys]


@_lower("while_loop")
def _while(*args, cond_prog, body_prog, cond_nconsts, body_nconsts, _source=None):
    cc, bc, carry = _split3(args, cond_nconsts, body_nconsts)
    cf, bf = lower_program(cond_prog), lower_program(body_prog)
    return lax.while_loop(lambda c: cf(*cc, *c)[0], lambda c: bf(*bc, *c), carry)


# a reusable function: one jax.jit per program; a checkpointed call's policy was applied when
# its derivative was made, so here it is an ordinary call
_lower("call")(lambda *args, program, policy=None: jitted_program(program)(*args))
# custom rules were applied by the transformations; what remains is the primal program
_lower("custom_jvp_call")(lambda *args, program, rule, num_consts: lower_program(program)(
    *args))
_lower("custom_vjp_call")(lambda *args, program, fwd, bwd, num_consts: lower_program(
    program)(*args))


@_lower("custom_lin")
def _custom_lin(*args, **params):
    return _prim("custom_lin").impl(*args, **params)   # its impl raises the error users see


@_lower("debug_print")
def _debug_print(*leaves, fmt, tree):
    impl = _prim("debug_print").impl
    jax.debug.callback(partial(_print_host, impl, fmt, tree), *leaves, ordered=True)
    return []


def _print_host(impl, fmt, tree, *leaves):
    impl(*[np.asarray(x) for x in leaves], fmt=fmt, tree=tree)
