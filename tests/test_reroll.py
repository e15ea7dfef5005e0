"""Rerolling (ops/reroll.py): a Python loop unrolled at trace time is rolled back into a
``scan`` before ``jit`` differentiates it. The rolled program must compute exactly what the
unrolled one does, and anything that does not match the loop pattern stays unrolled."""

import inspect

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.core import config
from lintra.core.eval import eval_program
from lintra.ops.reroll import reroll
from lintra.test_util import check_grads


def _prims(program) -> list[str]:
    return [e.prim.name for e in program.eqns]


def _rolled_equal(f, *args):
    """reroll(program of f) gives bit-identical results to the program; returns both."""
    program = lt.make_program(f)(*args)
    rolled = reroll(program)
    want = eval_program(program, list(args))
    got = eval_program(rolled, list(args))
    for a, b in zip(want, got):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    return program, rolled


def scalar_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + lnp.sin(x[i]) * lnp.cos(x[i + 1])
    return s


def scalar_loop_grad(x):
    g = np.zeros_like(x)
    g[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
    g[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
    return g


def oscillator(state, k):
    """Symplectic Euler, two carried arrays and a loop-invariant parameter."""
    q, p = state[:3], state[3:]
    for _ in range(40):
        p = p - 0.01 * k * lnp.sin(q)
        q = q + 0.01 * p
    return lnp.sum(q ** 2) + lnp.sum(p * q)


def nested(x):
    s = 0.0
    for i in range(6):
        t = x[i]
        for j in range(12):
            t = lnp.tanh(t * 0.9 + x[j] * 0.1)
        s = s + t * t
    return s


def test_scalar_loop_gradient_is_a_loop_and_exact():
    x = np.random.default_rng(0).normal(size=200)
    program = lt.make_program(lt.grad(scalar_loop))(x)
    assert "scan" in _prims(program) and len(program.eqns) < 40
    for backend in ("interpret", "native"):
        g = lt.jit(lt.grad(scalar_loop), backend=backend)(x)
        np.testing.assert_allclose(g, scalar_loop_grad(x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("f, args", [
    (scalar_loop, (np.linspace(-1, 2, 50),)),
    (oscillator, (np.array([0.1, -0.4, 1.0, 0.3, 0.0, -0.2]), np.array(2.5))),
    (nested, (np.linspace(-1, 1, 12),)),
])
def test_rolled_program_computes_the_same_values(f, args):
    program, rolled = _rolled_equal(f, *args)
    assert "scan" in _prims(rolled)
    assert len(rolled.eqns) < len(program.eqns) // 4


def test_nested_loops_roll_in_layers():
    # the first outer iteration's inner loop is a loop of its own (it also computes the
    # x[j] * 0.1 that CSE shares with the later iterations, read back from its ys)
    _, rolled = _rolled_equal(nested, np.linspace(-1, 1, 12))
    inner, outer = [e for e in rolled.eqns if e.prim.name == "scan"]
    assert "scan" not in _prims(inner.params["body"])
    assert "scan" in _prims(outer.params["body"])


@pytest.mark.parametrize("f, args", [
    (scalar_loop, (np.linspace(-1, 2, 30),)),
    (oscillator, (np.array([0.1, -0.4, 1.0, 0.3, 0.0, -0.2]), np.array(2.5))),
    (nested, (np.linspace(-1, 1, 12),)),
])
def test_gradients_of_rolled_loops(f, args):
    check_grads(lt.jit(f), args, order=2)
    eager = lt.grad(f, argnums=tuple(range(len(args))))(*args)
    for backend in ("interpret", "native"):
        staged = lt.jit(lt.grad(f, argnums=tuple(range(len(args)))), backend=backend)(*args)
        for a, b in zip(eager, staged):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_hessian_under_jit_of_a_python_loop():
    x = np.linspace(-1, 1, 12)
    h = lt.jit(lt.hessian(nested))(x)
    np.testing.assert_allclose(h, lt.hessian(nested)(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)


def test_intermediate_states_read_after_the_loop_stay_unrolled():
    def f(x):
        states = [x[0]]
        for i in range(1, 30):
            states.append(lnp.sin(states[-1]) + x[i])
        return lnp.sum(lnp.stack(states) ** 2)
    x = np.linspace(0, 1, 30)
    program, rolled = _rolled_equal(f, x)
    g = lt.jit(lt.grad(f))(x)
    np.testing.assert_allclose(g, lt.grad(f)(x), rtol=1e-12)


def test_values_from_two_iterations_back():
    def fib(x):
        a, b = x[0], x[1]
        for i in range(40):
            a, b = b, lnp.sin(a) + 0.5 * b + x[i % 5]
        return b
    x = np.linspace(0.1, 0.5, 5)
    _rolled_equal(fib, x)
    np.testing.assert_allclose(lt.jit(lt.grad(fib))(x), lt.grad(fib)(x), rtol=1e-12)


def test_varying_python_scalars_keep_their_dtype():
    def f(x):
        s = lnp.zeros((), np.float32)
        for i in range(40):
            s = s + x * i + lnp.float32(0.5) * s
        return s
    x = np.float32(0.25)
    _, rolled = _rolled_equal(f, x)
    out = lt.jit(f)(x)
    assert out.dtype == np.float32
    g = lt.jit(lt.grad(f))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, lt.grad(f)(x), rtol=1e-6)


def test_called_functions_in_a_loop_roll_into_one_loop():
    @lt.fn
    def step(q, v):
        v = v - 0.01 * q
        return q + 0.01 * v, v

    def f(q0):
        q, v = q0, lnp.zeros_like(q0)
        for _ in range(50):
            q, v = step(q, v)
        return lnp.sum(q * q)
    q0 = np.array([1.0, -0.5, 0.25])
    program = lt.make_program(lt.grad(f))(q0)
    assert _prims(program).count("call") < 5
    np.testing.assert_allclose(lt.jit(lt.grad(f))(q0), lt.grad(f)(q0), rtol=1e-12)


def test_prints_inside_a_rolled_loop_keep_their_order(capfd):
    def f(x):
        s = x
        for i in range(8):
            s = lnp.sin(s) + x[i % 2]
            lt.debug_print("s={}", s[0])
        return lnp.sum(s)
    x = np.array([0.3, 0.7])
    lt.grad(f)(x)
    eager = capfd.readouterr().out
    lt.jit(lt.grad(f))(x)
    assert capfd.readouterr().out == eager


def test_source_lines_survive_rolling():
    program = lt.make_program(lt.grad(scalar_loop))(np.ones(40))
    scan = next(e for e in program.eqns if e.prim.name == "scan")
    src, first = inspect.getsourcelines(scalar_loop)
    line = first + next(i for i, text in enumerate(src) if "lnp.sin(x[i])" in text)
    assert {e.source for e in scan.params["body"].eqns} == {
        f"{__file__}:{line} (scalar_loop)"}


def test_switched_off_the_loop_stays_unrolled(monkeypatch):
    monkeypatch.setattr(config, "reroll_loops", False)
    x = np.ones(40)
    program = lt.make_program(lt.grad(scalar_loop))(x)
    assert "scan" not in _prims(program)
    np.testing.assert_allclose(lt.jit(lt.grad(scalar_loop))(x), scalar_loop_grad(x))


def test_concrete_closed_over_values_still_steer_python_control_flow():
    def f(x, n):
        s = 0.0
        for i in range(40):
            if n > 2:                     # n is concrete: allowed under grad
                s = s + lnp.sin(x * i)
        return s
    g = lt.jit(lambda x: lt.grad(f)(x, 3))(0.5)
    np.testing.assert_allclose(g, sum(i * np.cos(0.5 * i) for i in range(40)), rtol=1e-12)


def test_constant_indices_affine_or_not():
    # x[2i] and x[i, 1]: indices computed from a counter; x[i, 3i % 5]: a stacked index
    def f(x, y):
        s = 0.0
        for i in range(30):
            s = s * 0.9 + x[2 * i] * y[i, 1] + lnp.sin(y[i, (3 * i) % 5])
        return s
    x, y = np.linspace(-1, 1, 60), np.linspace(0, 2, 150).reshape(30, 5)
    _, rolled = _rolled_equal(f, x, y)
    assert "scan" in _prims(rolled)
    check_grads(lt.jit(f), (x, y), order=1)
    for backend in ("interpret", "native"):
        gx, gy = lt.jit(lt.grad(f, argnums=(0, 1)), backend=backend)(x, y)
        ex, ey = lt.grad(f, argnums=(0, 1))(x, y)
        np.testing.assert_allclose(gx, ex, rtol=1e-12)
        np.testing.assert_allclose(gy, ey, rtol=1e-12)


def test_jit_compiles_long_python_loops_rolled():
    # jit(f) and jit(jvp): the long program is compiled with its loop rolled back
    from lintra.jit import REROLL_MIN_EQNS, _rolled
    x = np.linspace(-1, 2, REROLL_MIN_EQNS)
    assert "scan" in _prims(_rolled(lt.make_program(scalar_loop)(x)))
    short = lt.make_program(scalar_loop)(x[:10])
    assert _rolled(short) is short
    want = scalar_loop(x)
    np.testing.assert_array_equal(lt.jit(scalar_loop, backend="interpret")(x), want)
    np.testing.assert_allclose(lt.jit(scalar_loop, backend="native")(x), want, rtol=1e-13)
    t = np.cos(x)
    eager = lt.jvp(scalar_loop, (x,), (t,))
    for backend in ("interpret", "native"):
        staged = lt.jit(lambda x, t: lt.jvp(scalar_loop, (x,), (t,)), backend=backend)(x, t)
        np.testing.assert_allclose(staged, eager, rtol=1e-12)


def test_rolling_never_grows_a_program():
    # expansion by minors repeats small blocks whose inputs differ per block: stacking them
    # would cost more equations than the loop saves, so they stay unrolled
    def det(A, rows=None, cols=None):
        rows = rows if rows is not None else tuple(range(A.shape[0]))
        cols = cols if cols is not None else tuple(range(A.shape[0]))
        if len(cols) == 1:
            return A[rows[0], cols[0]]
        total = 0.0
        for k, c in enumerate(cols):
            term = A[rows[0], c] * det(A, rows[1:], cols[:k] + cols[k + 1:])
            total = total - term if k % 2 else total + term
        return total
    A = np.random.default_rng(0).normal(size=(5, 5))
    program, rolled = _rolled_equal(det, A)
    assert len(rolled.eqns) <= len(program.eqns)
    np.testing.assert_allclose(lt.jit(lt.grad(det))(A), lt.grad(det)(A), rtol=1e-12)
    np.testing.assert_allclose(lt.jit(det)(A), np.linalg.det(A), rtol=1e-10)


def test_loops_whose_body_stages_a_cond_or_an_inner_loop_roll():
    # each iteration stages its own branch and body programs, equal up to variable names
    def f(x):
        s = x[0]
        for _ in range(20):
            s = lt.cond(s > 0.5, lambda v: v * 0.9, lambda v: lnp.sin(v) + 1.0, s)
            s = lt.fori_loop(0, 3, lambda j, v: v * 0.99 + x[1], s)
        return s
    x = np.array([0.3, 0.2])
    program, rolled = _rolled_equal(f, x)
    assert [e.prim.name for e in rolled.eqns].count("cond") <= 1
    for backend in ("interpret", "native"):
        np.testing.assert_allclose(lt.jit(lt.grad(f), backend=backend)(x), lt.grad(f)(x),
                                   rtol=1e-12)
