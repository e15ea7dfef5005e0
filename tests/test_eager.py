"""Eager reverse mode (design §6): dynamic Python, O(primal) backward pass, parallel jobs."""

import functools
import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lintra as lt
import lintra.eager as le
import lintra.numpy as lnp
from lintra.eager.kernels import _SCALAR_F64, get_kernel, is_scalar_program
from lintra.eager.tape import EagerTracer
from lintra.ops import elementwise as E
from lintra.ops.base import FAST_UNARY


def _edges(f, *args):
    lt.grad(f, argnums=tuple(range(len(args))))(*args)
    s = le.stats()
    return s.edges_created, s.edges_visited


def doubling(n):
    def f(x):
        for _ in range(n):
            x = x + x
        return x
    return f


def fib(n):
    def f(x, y):
        a, b = x, x + y
        for _ in range(n - 1):
            a, b = b, a + b
        return b * b
    return f


def eight_uses(levels):
    def f(x):
        for _ in range(levels):
            x = x + x + x + x + x - x - x - x
        return x
    return f


@pytest.mark.parametrize("n", [10, 20, 40])
def test_doubling_chain_is_linear(n):
    assert lt.grad(doubling(n))(1.0) == 2.0 ** n
    created, visited = _edges(doubling(n), 1.0)
    assert created == visited == 2 * n


def test_fibonacci_chain_known_answer_and_linear_cost():
    assert lt.grad(fib(10), argnums=(0, 1))(1.0, 2.0) == (35422.0, 21890.0)
    c10, v10 = _edges(fib(10), 1.0, 2.0)
    c20, v20 = _edges(fib(20), 1.0, 2.0)
    assert c10 == v10 and c20 == v20
    assert c20 - c10 == 2 * 10                       # two edges per extra level


def test_eight_uses_per_level():
    assert lt.grad(eight_uses(10))(1.0) == 2.0 ** 10
    c10, v10 = _edges(eight_uses(10), 1.0)
    c20, v20 = _edges(eight_uses(20), 1.0)
    assert c10 == v10 == 14 * 10 and c20 == v20 == 14 * 20


def test_backward_cost_is_linear_in_primal_operations():
    x = np.linspace(0.1, 1.0, 400)

    def f(x, n):
        s = 0.0
        for i in range(n - 1):
            s = s + lnp.sin(x[i]) * lnp.cos(x[i + 1])
        return s

    costs = []
    for n in (100, 200, 400):
        lt.grad(f)(x, n)
        s = le.stats()
        assert s.edges_created == s.edges_visited
        costs.append(s.edges_visited)
    # per iteration: two reads, sin, cos (one edge each), mul and add (two each); the first
    # add's other operand is the constant 0.0. So exactly 8 (n - 1) - 1 edges: linear in n.
    assert costs == [8 * (n - 1) - 1 for n in (100, 200, 400)]


def test_million_operation_tape_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000

    def f(x):
        for _ in range(500_000):
            x = x * 1.0000001
            x = x - 1e-9
        return x

    g = lt.grad(f)(1.0)
    assert np.isclose(g, 1.0000001 ** 500_000, rtol=1e-9)
    assert le.stats().entries >= 1_000_000


def test_dynamic_python():
    def collatz_like(x):
        # data-dependent loop count, while loop on values, early return
        steps = 0
        while x > 1.0 and steps < 50:
            x = x / 2.0 if int(float(x)) % 2 == 0 else x * 0.75
            steps += 1
        if steps > 40:
            return x * 0.0
        return x * x

    x0 = 37.3
    eps = 1e-6
    fd = (collatz_like(x0 + eps) - collatz_like(x0 - eps)) / (2 * eps)
    assert np.isclose(lt.grad(collatz_like)(x0), fd, rtol=1e-6)

    def recursive_power(x, n):
        return 1.0 if n == 0 else x * recursive_power(x, n - 1)

    assert lt.grad(recursive_power)(2.0, 5) == 5 * 2.0 ** 4

    def higher_order(x):
        ys = map(lambda k: lnp.sin(x * k), [1.0, 2.0, 3.0])
        return functools.reduce(lambda a, b: a + b, ys)

    assert np.isclose(lt.grad(higher_order)(0.3),
                      sum(k * np.cos(0.3 * k) for k in (1.0, 2.0, 3.0)))

    def with_generator(x):
        return sum(x ** k for k in range(4))

    assert lt.grad(with_generator)(2.0) == 1 + 2 * 2.0 + 3 * 4.0

    def closure(x):
        scale = x * 2.0
        return (lambda y: y * scale)(x)

    assert lt.grad(closure)(3.0) == 12.0


def test_nested_and_mixed_modes():
    assert lt.grad(lambda x: x * lt.grad(lambda y: x * y)(1.0))(3.0) == 6.0
    f = lambda x: lnp.sum(lnp.sin(x) * x ** 2)
    x, v = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.5, -2.0])
    hvp = lt.jvp(lt.grad(f), (x,), (v,))[1]               # forward-over-reverse
    h = np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))
    np.testing.assert_allclose(hvp, h @ v, rtol=1e-12)
    np.testing.assert_allclose(lt.grad(lt.grad(lambda s: lnp.sin(s) * s))(0.5),
                               -np.sin(0.5) * 0.5 + 2 * np.cos(0.5), rtol=1e-12)
    np.testing.assert_allclose(lt.grad(lt.jit(f))(x), lt.jit(lt.grad(f))(x), rtol=1e-12)
    np.testing.assert_allclose(lt.hessian(f)(x), h, rtol=1e-12)


PROGRAMS = [
    lambda x: lnp.sum(lnp.sin(x) * lnp.cos(x[::-1])),
    lambda x: lnp.max(lnp.exp(x) + np.array([0.0, 5.0, 10.0])) * lnp.mean(x),
    lambda x: x[0] * x[1] + lnp.tanh(x[2]) / (1.0 + x[0] ** 2),
    lambda x: lnp.sum(lnp.reshape(x, (3, 1)) * x - lnp.sqrt(x * x + 1.0)),
    lambda x: lnp.sum(lnp.where(x > 0.0, x ** 3, -x)),
]


@pytest.mark.parametrize("k", range(len(PROGRAMS)))
@given(x=st.lists(st.floats(-2, 2), min_size=3, max_size=3).map(np.array))
def test_eager_equals_staged(k, x):
    f = PROGRAMS[k]
    eager = lt.grad(f)(x)
    staged = lt.jit(lt.grad(f))(x)
    np.testing.assert_allclose(eager, staged, rtol=1e-12, atol=1e-14)
    out, f_vjp = lt.vjp(f, x)
    np.testing.assert_allclose(out, f(x), rtol=1e-12)
    np.testing.assert_allclose(f_vjp(1.0)[0], staged, rtol=1e-12, atol=1e-14)


def test_fork_join_gradient_and_determinism():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(50_000)

    def f(x):
        u, v = lt.fork_join(lambda y: lnp.sum(lnp.sin(y) * y), lambda y: lnp.sum(lnp.exp(-y * y)),
                            x)
        w = lt.parallel_map(lambda k: lnp.sum(lnp.cos(x * k)), [1.0, 2.0, 3.0])
        return u * v + w[0] + w[1] * w[2]

    def f_seq(x):
        u, v = lnp.sum(lnp.sin(x) * x), lnp.sum(lnp.exp(-x * x))
        w = [lnp.sum(lnp.cos(x * k)) for k in (1.0, 2.0, 3.0)]
        return u * v + w[0] + w[1] * w[2]

    g1 = lt.grad(f)(a)
    g2 = lt.grad(f)(a)
    np.testing.assert_array_equal(g1, g2)                 # bit-identical run to run
    np.testing.assert_allclose(g1, lt.grad(f_seq)(a), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g1, lt.jit(lt.grad(f))(a), rtol=1e-9, atol=1e-12)
    s = le.stats()
    assert s.edges_created == s.edges_visited


def test_nested_fork_join():
    def f(x):
        def branch(y):
            p, q = lt.fork_join(lambda z: z * z, lambda z: lnp.sin(z), y)
            return p + q
        a, b = lt.fork_join(branch, lambda y: branch(y * 2.0), x)
        return a * b

    x = 0.7
    expected = lt.jit(lt.grad(f))(x)
    assert lt.grad(f)(x) == expected
    assert np.isclose(expected, lt.grad(lambda x: (x * x + np.sin(x)) * (
        4 * x * x + lnp.sin(2 * x)))(x))


def test_errors():
    with pytest.raises(lt.NonDifferentiableError, match="argument 0 has dtype int"):
        lt.grad(lambda n: n * 2)(3)
    with pytest.raises(TypeError, match="scalar output"):
        lt.grad(lambda x: x * 2.0)(np.ones(2))
    with pytest.raises(TypeError, match="lintra.numpy.sum"):
        lt.grad(lambda x: np.sum(x))(np.ones(2))

    def mutates(x):
        c = np.array([1.0, 2.0])
        y = lnp.sum(x * c)
        c[0] = 100.0                   # would change the recorded derivative
        return y

    with pytest.raises(ValueError, match="read-only"):
        lt.grad(mutates)(np.ones(2))

    def setitem(x):
        x[0] = 1.0
        return lnp.sum(x)

    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        lt.grad(setitem)(np.ones(2))


def test_inputs_are_writable_again_after_grad():
    x = np.ones(3)
    lt.grad(lambda v: lnp.sum(v * v))(x)
    x[0] = 2.0
    assert x[0] == 2.0


def test_tape_is_freed_without_garbage_collection():
    refs = []

    def f(x):
        refs.append(weakref.ref(x._trace.main.data))
        return lnp.sum(lnp.sin(x))

    gc.disable()
    try:
        lt.grad(f)(np.ones(3))
        assert refs[0]() is None        # freed by reference counting: no cycles
    finally:
        gc.enable()


# ---------------------------------------------------------------- scalar fast paths

def _unary_float_functions():
    """(primitive, function) of every unary float function (``ops.elementwise._op``)."""
    by_name = {f.__name__: f for f in E.NUMPY_NAMES.values()}
    return [(p, by_name[p.name]) for p in sorted(FAST_UNARY, key=lambda p: p.name)]


def test_every_unary_float_function_has_a_scalar_fast_path():
    """Found from the registry (FAST_UNARY), not a hand list: each one's derived primal half
    runs on Python floats alone (every equation has a scalar impl: no NumPy call)."""
    for p, _ in _unary_float_functions():
        assert is_scalar_program(get_kernel(p, (_SCALAR_F64,), {}).fwd_program), p
        assert EagerTracer in FAST_UNARY[p], p


@pytest.mark.parametrize("p, fn", _unary_float_functions(), ids=lambda v: getattr(v, "name", ""))
def test_unary_fast_path_equals_staged(monkeypatch, p, fn):
    """Value and derivative on the fast path equal the staged (NumPy-interpreted) ones, also
    outside the domain (nan) and at poles (inf), as NumPy gives them."""
    fast = FAST_UNARY[p][EagerTracer]
    calls = []

    def counted(prim, x):
        calls.append(type(x.primal))
        return fast(prim, x)
    monkeypatch.setitem(FAST_UNARY[p], EagerTracer, counted)

    def f(x):
        return fn(x * 1.0)
    staged = lt.jit(lt.value_and_grad(f), backend="interpret")
    for x in (0.3, -0.6, 1.0, -1.0, 1.7, 0.0, 30.0, 800.0, float("inf"), float("nan")):
        calls.clear()
        with np.errstate(all="ignore"):
            v, g = lt.value_and_grad(f)(x)
            v_s, g_s = staged(x)
        assert calls == [float], (p, x)
        np.testing.assert_allclose([v, g], [v_s, g_s], rtol=1e-13, atol=0, equal_nan=True,
                                   err_msg=f"{p} at {x}")


def test_no_cotangent_is_computed_for_constant_operands(monkeypatch):
    """grad of x -> sum(A @ x) with a constant A: the backward pass computes A^T ct (size n),
    never the cotangent of A (an n x n outer product)."""
    from lintra.ops import linalg as L
    sizes = []
    impl = L.dot_general_p.impl

    def spy(*a, **k):
        out = impl(*a, **k)
        sizes.append(np.size(out))
        return out
    monkeypatch.setattr(L.dot_general_p, "impl", spy)
    n = 50
    a = np.random.default_rng(3).standard_normal((n, n))
    g = lt.grad(lambda x: lnp.sum(lnp.tanh(a @ x)))(np.ones(n))
    np.testing.assert_allclose(g, a.T @ (1 - np.tanh(a @ np.ones(n)) ** 2), rtol=1e-12)
    assert sizes and max(sizes) <= n
