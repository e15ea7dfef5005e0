"""Every primitive the native backend lowers (the tables of ``backends/native/rules.py``),
one sample per family: ``jit(f, backend="native") == jit(f, backend="interpret")`` for the
primal (NaN and inf inputs for the float elementwise ones), its ``grad`` and its ``vmap``
where they apply, compiled without falling back to the interpreter; and a coverage test that
the samples' programs (primal, grad, vmap) use every primitive in those tables."""

import warnings

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from lintra.backends.native import rules

pytestmark = pytest.mark.skipif(not nat.available, reason="llvmlite is not installed")

RNG = np.random.default_rng(3)
NAN, INF = float("nan"), float("inf")
SPECIAL = np.array([-40.0, -2.5, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 0.9, 1.0, 1.5, 2.5, 40.0,
                    NAN, INF, -INF])
X = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)
I = np.array([2, 0, 3, 2])


class Case:
    """``f`` on ``args`` (float arrays unless said), checked primal, and ``grad`` of its sum
    at ``grad_args`` (None: no grad) and ``vmap`` over a leading axis of two when ``vmap``."""

    def __init__(self, name, f, args, grad_args=None, vmap=True):
        self.name, self.f, self.args = name, f, tuple(args)
        self.grad_args, self.vmap = grad_args, vmap

    def loss(self, *a):
        out = self.f(*a)
        return sum(lnp.sum(o) for o in lt.tree_leaves(out))

    def programs(self):
        """(what, function, args) of each check."""
        yield "primal", self.f, self.args
        if self.grad_args is not None:
            yield "grad", lt.grad(self.loss), self.grad_args
        if self.vmap:
            yield "vmap", lt.vmap(self.f), tuple(_stack(a) for a in self.args)


def _stack(a):
    a = np.asarray(a)
    other = a[::-1] if a.ndim else a
    return np.stack([a, other.reshape(a.shape)])


def _leaves(x):
    return [np.asarray(v) for v in lt.tree_leaves(x)]


def same(f, *args):
    """Natively compiled (no fallback) and interpreted: equal values, dtypes and shapes."""
    before = len(nat.fallbacks)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got = lt.jit(f, backend="native")(*args)
        assert len(nat.fallbacks) == before, list(nat.fallbacks)[before:]
        want = lt.jit(f, backend="interpret")(*args)
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        if w.dtype.kind == "f":
            tol = 1e-5 if w.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


# ---------------------------------------------------------------- float elementwise

_UNARY = {     # lintra.numpy name -> an interval inside the domain, for the gradient
    "exp": (-2, 2), "expm1": (-2, 2), "log": (0.1, 3), "log1p": (-0.5, 3), "sqrt": (0.1, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1, 1), "arcsin": (-0.9, 0.9),
    "arccos": (-0.9, 0.9), "arctan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2),
    "tanh": (-2, 2), "arcsinh": (-3, 3), "arccosh": (1.1, 3), "arctanh": (-0.9, 0.9),
    "erf": (-2, 2), "sigmoid": (-5, 5), "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3),
    "abs": (-3, 3), "sign": (-3, 3), "negative": (-3, 3),
}


def _uniform(lo, hi, n=6):
    return RNG.uniform(lo, hi, n)


CASES = []
for _name, (_lo, _hi) in _UNARY.items():
    _f = getattr(lnp, _name)
    CASES.append(Case(_name, _f, [SPECIAL], [_uniform(_lo, _hi)]))
    CASES.append(Case(_name + "-f32", _f, [SPECIAL.astype(np.float32)], vmap=False))

_BINARY = {
    "add": lnp.add, "subtract": lnp.subtract, "multiply": lnp.multiply,
    "divide": lnp.divide, "power": lnp.power, "arctan2": lnp.arctan2,
    "remainder": lnp.remainder, "maximum": lnp.maximum, "minimum": lnp.minimum,
}
_PAIR = (np.repeat(SPECIAL, SPECIAL.size), np.tile(SPECIAL, SPECIAL.size))
for _name, _f in _BINARY.items():
    _g = (_uniform(0.5, 2), _uniform(-1, 2)) if _name == "power" else \
        (_uniform(-2, 2), _uniform(0.5, 2) * RNG.choice([-1, 1], 6))
    CASES.append(Case(_name, _f, _PAIR, _g))
    CASES.append(Case(_name + "-broadcast", _f, [X, V], [X, V + 3.0]))
for _name in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
    CASES.append(Case(_name, getattr(lnp, _name), _PAIR))

CASES += [
    Case("integer_pow", lambda x: (x ** 3, x ** -2, x ** 0), [SPECIAL], [_uniform(0.5, 2)]),
    Case("where", lambda x, y: lnp.where(x > y, x, y * 2.0), _PAIR, [X, X.T.reshape(3, 4)]),
    Case("logical", lambda a, b: (a & b, a | b, a ^ b, ~a),
         [np.array([True, True, False, False]), np.array([True, False, True, False])]),
    Case("astype", lambda x: (x.astype(np.float32), x.astype(bool)), [SPECIAL],
         [_uniform(-3, 3)]),
    # float -> int of NaN, inf or out of range: NumPy's value is the platform's (native
    # saturates; test_native_ints.py), so finite in-range values here
    Case("astype-int", lambda x: (x.astype(np.int32), x.astype(np.uint8),
                                  x.astype(np.int32).astype(np.float64) * x),
         [SPECIAL[np.isfinite(SPECIAL)] + 41.0], [_uniform(-3, 3)]),
    Case("int-arith", lambda a, b: (a + b, a * b, a - b, a % b, a // b, -a, lnp.abs(a),
                                    lnp.sign(a), a ** 2, lnp.maximum(a, b), a.astype(float)),
         [np.array([5, -3, 0, 7, -8, 9]), np.array([2, 3, 0, -7, 5, -1])]),
    Case("fan-out", lambda x: lnp.sin(x) * x + x, [V], [V]),      # add_any in the grad
]

# ---------------------------------------------------------------- reductions, shapes

_XN = X.copy()
_XN[1, 2] = NAN
CASES += [
    Case("reductions", lambda x: (lnp.sum(x), lnp.sum(x, axis=0), lnp.prod(x, axis=1),
                                  lnp.max(x, axis=1), lnp.min(x), lnp.mean(x, axis=0)),
         [_XN], [X]),
    Case("arg-extrema", lambda x: (lnp.argmax(x, axis=1), lnp.argmin(x, axis=0)), [_XN]),
    Case("cumulative", lambda x: (lnp.cumsum(x, axis=1), lnp.cumprod(x, axis=0)), [X], [X]),
    Case("shapes", lambda x, v: (x.T, x.reshape(4, 3), x[1:, ::2], lnp.flip(x, 1),
                                 lnp.concatenate([x, x * 2.0], axis=1),
                                 lnp.pad(x, ((1, 2), (0, 1))),
                                 lnp.broadcast_to(v, (3, 4)) * x), [X, V], [X, V]),
]

# ---------------------------------------------------------------- indexing, products


def _index(x, i):
    return x[i] * 2.0 + x[:, i].sum(), x.at[i, 1].add(1.0), x.at[0].set(5.0) * x


CASES += [
    Case("indexing", lambda x: _index(x, np.array([2, 0, 1])), [X], [X]),
    Case("take-grad", lambda v: lnp.sin(v[I]) * v[I[::-1]], [V], [V]),
    Case("dot", lambda a, b: (a @ b, lnp.einsum("ij,kj->ik", a, a)),
         [X, X.T.copy()], [X, X.T.copy()]),
    Case("dot-blas", lambda a, b: a @ b, [RNG.standard_normal((40, 48)),
                                          RNG.standard_normal((48, 40))], vmap=False),
]

# ---------------------------------------------------------------- control flow, calls


@lt.fn
def _inner(a, b):
    return lnp.sin(a) * b


@lt.custom_jvp
def _sq(x):
    return x * x


_sq.defjvp(lambda p, t: (p[0] * p[0], 2.0 * p[0] * t[0]))


@lt.custom_vjp
def _cube(x):
    return x ** 3


_cube.defvjp(lambda x: (x ** 3, x), lambda r, g: (3.0 * r * r * g,))


def _loop(x):
    return lt.fori_loop(0, x.shape[0] - 1, lambda i, s: s + lnp.sin(x[i]) * lnp.cos(x[i + 1]),
                        0.0)


CASES += [
    Case("fori_loop", _loop, [V], [V]),
    Case("scan", lambda x: lt.scan(lambda c, xi: (c * 0.9 + xi, c * xi), 0.0, x), [V], [V]),
    Case("while_loop", lambda x: lt.while_loop(lambda c: c[0] < 10.0,
                                               lambda c: (c[0] + lnp.abs(c[1]) + 0.5,
                                                          c[1] * 0.5), (x[0], x[1])), [V]),
    Case("cond", lambda x: lt.cond(x[0] > 0, lambda v: v.sum(), lambda v: v.prod(), x),
         [V], [V]),
    Case("fn-call", lambda v: _inner(v, 2.0) + _inner(v * 0.5, v), [V], [V]),
    Case("custom-rules", lambda v: _sq(v) + _cube(v), [V], [V]),
    Case("stop-gradient-and-name", lambda v: lt.checkpoint_name(
        lnp.sin(v), "s") * lt.stop_gradient(v), [V], [V]),
]


# ---------------------------------------------------------------- the checks


_A = RNG.standard_normal((3, 3))
SPD = _A @ _A.T + 3.0 * np.eye(3)

CASES += [   # small real linear algebra: native loops (ops/native_linalg.py)
    Case("linalg-small", lambda a, b: (lnp.linalg.solve(a, b), lnp.linalg.cholesky(a),
                                       lnp.linalg.slogdet(a)[1], lnp.linalg.det(a),
                                       lnp.linalg.inv(a)),
         [SPD, V[:3]], [SPD, V[:3]], vmap=False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_native_equals_interpret(case):
    for _, f, args in case.programs():
        same(f, *args)


def _primitives(program, seen=None) -> set:
    seen = set() if seen is None else seen
    out = set()
    if program.uid in seen:
        return out
    seen.add(program.uid)
    for e in program.eqns:
        out.add(e.prim)
        for sub in e.prim.subprograms(e.params):
            out |= _primitives(sub, seen)
    return out


def test_every_lowered_primitive_is_exercised():
    used = set()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for case in CASES:
            for _, f, args in case.programs():
                used |= _primitives(lt.make_program(f)(*args))
    lowered = set(rules.elementwise_rules) | set(rules.lowering_rules)
    missing = sorted(p.name for p in lowered - used if not p.name.startswith("test_"))
    assert not missing, f"lowered primitives without a sample here: {missing}"
