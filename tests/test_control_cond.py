"""cond, switch and while_loop (design §3, §5; issue 3), and control flow nested in each
other: values, jit, derivatives (while_loop: forward mode only), programs that type-check,
agreement with JAX, and the error paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ad.linearity import check_linear
from lintra.ops.indexing import take
from lintra.test_util import check_grads, check_staged

floats = st.floats(-1.5, 1.5, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def vec(n):
    return st.lists(floats, min_size=n, max_size=n).map(np.array)


def cond_fn(x):
    """Different nonlinear branches, a closed-over value in one branch only, a pytree operand."""
    s = lnp.sum(x)
    return lt.cond(take(x, 0) > 0, lambda a, b: lnp.sin(a) * b + s * s,
                   lambda a, b: lnp.exp(a) - b * b, x, lnp.cos(x))


def switch_fn(x):
    # index 0, 1 or 2 from the signs of x[0] and x[1] (hypothesis keeps them off zero)
    i = (take(x, 0) > 0).astype(np.int64) + (take(x, 1) > 0).astype(np.int64)
    branches = [lambda v: lnp.sin(v) * v, lambda v: v * v * v, lambda v: lnp.tanh(v) + 1.0]
    return lt.switch(i, branches, x)


def scan_in_cond(x):
    def loop(v):
        return lt.scan(lambda c, xi: (lnp.sin(c) * xi + c, c * xi), 0.4, v)[1]
    return lt.cond(take(x, 0) > 0, loop, lambda v: v * lnp.cos(v), x)


def cond_in_scan(x):
    def body(c, xi):
        c2 = lt.cond(xi > 0, lambda a: lnp.sin(a) * xi, lambda a: a * a - xi, c)
        return c2 + 0.1, c2 * c
    c, ys = lt.scan(body, 0.7, x)
    return c + lnp.sum(ys)


def switch_in_fori(x):
    def body(i, acc):
        v = take(x, i)
        return acc + lt.switch(i % 3, [lambda a: lnp.sin(a * v), lambda a: a * v,
                                       lambda a: lnp.cos(v) + a], acc)
    return lt.fori_loop(0, x.shape[0], body, 0.25)


FUNCS = {"cond": cond_fn, "switch": switch_fn, "scan_in_cond": scan_in_cond,
         "cond_in_scan": cond_in_scan, "switch_in_fori": switch_in_fori}


@pytest.mark.parametrize("name", sorted(FUNCS))
@settings(max_examples=5)
@given(x=vec(4))
def test_cond_grads_eager_and_jit(name, x):
    f = FUNCS[name]
    check_grads(f, (x,), order=2)
    check_grads(lt.jit(f), (x,), order=2)
    check_staged(f, (x,))
    check_staged(lt.grad(lambda x: lnp.sum(f(x))), (x,), rtol=1e-10)
    np.testing.assert_allclose(lt.grad(lt.jit(lambda x: lnp.sum(f(x))))(x),
                               lt.grad(lambda x: lnp.sum(f(x)))(x), rtol=1e-10)


def test_both_branches_are_differentiated_under_jit():
    f = lt.jit(lt.grad(lambda x: lt.cond(x > 0, lnp.sin, lambda v: v * v, x)))
    np.testing.assert_allclose(f(0.5), np.cos(0.5))
    np.testing.assert_allclose(f(-0.5), -1.0)
    h = lt.jit(lt.hessian(lambda x: lt.cond(x > 0, lnp.sin, lambda v: v * v * v, x)))
    np.testing.assert_allclose(h(0.5), -np.sin(0.5))
    np.testing.assert_allclose(h(-0.5), -3.0)


def test_switch_clamps_index_and_concrete_index_runs_one_branch():
    branches = [lambda v: v + 1.0, lambda v: v * 2.0, lambda v: v - 3.0]
    f = lt.jit(lambda i, v: lt.switch(i, branches, v))
    assert [float(f(np.int64(i), 1.0)) for i in (-5, 0, 1, 2, 9)] == [2.0, 2.0, 2.0, -2.0,
                                                                      -2.0]
    calls = []
    out = lt.switch(1, [lambda v: calls.append(0) or v, lambda v: calls.append(1) or v * 2], 3.0)
    assert out == 6.0 and calls == [1]
    assert lt.cond(True, lambda: 1.0, lambda: 2.0) == 1.0


def test_residuals_of_both_branches_are_padded():
    """unzip with a known predicate: a known cond returning residual slots for whichever
    branch ran (zeros for the other's) and an unknown cond reading them."""
    def f(x):
        return lt.cond(lnp.sum(x) > 0, lambda v: lnp.sin(v) * lnp.exp(v),
                       lambda v: lnp.log(v * v + 1.0), x)

    x = np.array([0.3, -0.1, 0.5])
    prog = lt.make_program(lt.grad(lambda x: lnp.sum(f(x))))(x)
    conds = [e for e in prog.eqns if e.prim.name == "cond"]
    assert len(conds) == 2
    known, transposed = conds
    k_branches = known.params["branches"]
    assert len({tuple(b.out_avals) for b in k_branches}) == 1   # identical residual types
    assert len(known.outputs) > 1
    lt.typecheck(prog)
    for xv in (x, -x):
        np.testing.assert_allclose(lt.jit(lt.grad(lambda x: lnp.sum(f(x))))(xv),
                                   lt.grad(lambda x: lnp.sum(f(x)))(xv), rtol=1e-12)


def test_linear_programs_are_linear_and_typecheck():
    x = np.array([0.3, -0.8, 0.5, 1.1])
    for f in FUNCS.values():
        g = lambda x, f=f: lnp.sum(f(x))    # noqa: E731
        for h in (g, lt.grad(g), lt.hessian(g), lambda x, g=g: lt.jvp(g, (x,), (x,))[1]):
            lt.typecheck(lt.make_program(h)(x))
        _, f_lin = lt.linearize(g, x)
        lin = f_lin.linear_function
        lt.typecheck(lin.program)
        n_res = len(lin.residuals)
        check_linear(lin.program, [False] * n_res + [True] * (len(lin.program.params) - n_res))


def test_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def ours(x):
        return lt.cond(lnp.sum(x) > 0, lambda v: lnp.sum(lnp.sin(v) * v),
                       lambda v: lnp.sum(lnp.exp(v)), x)

    def theirs(x):
        return jax.lax.cond(jnp.sum(x) > 0, lambda v: jnp.sum(jnp.sin(v) * v),
                            lambda v: jnp.sum(jnp.exp(v)), x)

    def ours_sw(i, x):
        return lt.switch(i, [lambda v: lnp.sum(v * v), lambda v: lnp.sum(lnp.tanh(v))], x)

    def theirs_sw(i, x):
        return jax.lax.switch(i, [lambda v: jnp.sum(v * v), lambda v: jnp.sum(jnp.tanh(v))],
                              x)

    for x in (np.array([0.3, -0.2, 0.6]), np.array([-0.3, -0.2, 0.1])):
        np.testing.assert_allclose(lt.jit(lt.grad(ours))(x), jax.grad(theirs)(x), rtol=1e-12)
        np.testing.assert_allclose(lt.jit(lt.hessian(ours))(x), jax.hessian(theirs)(x),
                                   rtol=1e-12)
        for i in (0, 1, 5):
            g = lt.jit(lt.grad(ours_sw, 1))(np.int64(i), x)
            np.testing.assert_allclose(g, jax.grad(theirs_sw, 1)(i, x), rtol=1e-12)


# ---------------------------------------------------------------- while_loop

def while_fn(x):
    """Halve until below 0.1 (data-dependent trip count), carrying a float and an int."""
    def body(c):
        v, k = c
        return v * 0.5 + lnp.sin(v) * 0.01, k + 1
    v, k = lt.while_loop(lambda c: lnp.sum(c[0] * c[0]) > 0.01, body, (x, 0))
    return v * k


@settings(max_examples=5)
@given(x=vec(3))
def test_while_loop_forward_mode(x):
    check_grads(while_fn, (x,), order=2, modes=("fwd",))
    check_grads(lt.jit(while_fn), (x,), order=2, modes=("fwd",))
    check_staged(while_fn, (x,))


def test_while_loop_values_and_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = np.array([1.5, -2.0, 0.7])
    t = np.array([1.0, 0.5, -1.0])

    def theirs(x):
        def body(c):
            v, k = c
            return v * 0.5 + jnp.sin(v) * 0.01, k + 1
        v, k = jax.lax.while_loop(lambda c: jnp.sum(c[0] * c[0]) > 0.01, body, (x, 0))
        return v * k

    np.testing.assert_allclose(while_fn(x), theirs(x), rtol=1e-12)
    _, ours_t = lt.jvp(while_fn, (x,), (t,))
    _, their_t = jax.jvp(theirs, (x,), (t,))
    np.testing.assert_allclose(ours_t, their_t, rtol=1e-12)
    assert lt.while_loop(lambda i: i < 10, lambda i: i + 3, 0) == 12


def test_reverse_mode_through_while_loop_is_a_clear_error():
    def f(x):
        return lnp.sum(lt.while_loop(lambda v: lnp.sum(v) < 10.0, lambda v: v * 2.0, x))

    x = np.array([0.5, 1.0])
    for g in (lt.grad(f), lt.jit(lt.grad(f)), lt.grad(lt.jit(f)),
              lambda x: lt.vjp(f, x)[1](1.0)):
        with pytest.raises(lt.MissingRuleError) as e:
            g(x)
        msg = str(e.value)
        assert "while_loop" in msg and "fori_loop" in msg and "scan" in msg
        assert "test_control_cond.py" in msg                  # names the loop's line
    # a loop whose carries do not depend on the differentiated input is fine
    g = lt.grad(lambda x: x * lt.while_loop(lambda k: k < 5, lambda k: k + 1, 0))(2.0)
    assert float(g) == 5.0
    # fori_loop with a traced bound is a while_loop: the same error
    with pytest.raises(lt.MissingRuleError, match="while_loop"):
        lt.jit(lt.grad(lambda x, n: lt.fori_loop(0, n, lambda i, s: s * x, 1.0)))(
            2.0, np.int64(3))


def test_cond_and_while_errors():
    with pytest.raises(TypeError, match=r"true_fun returns \(f64\[3\]\).*false_fun.*f64\[\]"):
        lt.jit(lambda x: lt.cond(lnp.sum(x) > 0, lambda v: v, lambda v: lnp.sum(v), x))(
            np.ones(3))
    with pytest.raises(TypeError, match="same structure"):
        lt.jit(lambda x: lt.cond(x > 0, lambda v: (v, v), lambda v: v, x))(1.0)
    with pytest.raises(TypeError, match=r"branch 0 returns \(f64\[\]\).*branch 1 returns "
                                        r"\(i64\[\]\)"):
        lt.jit(lambda i, x: lt.switch(i, [lambda v: v, lambda v: np.int64(1)], x))(
            np.int64(0), 1.0)
    with pytest.raises(TypeError, match="predicate must be a scalar"):
        lt.jit(lambda x: lt.cond(x > 0, lambda v: v, lambda v: -v, x))(np.ones(2))
    with pytest.raises(TypeError, match="index must be an integer scalar"):
        lt.jit(lambda x: lt.switch(x, [lambda v: v], x))(1.0)
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lt.while_loop(lambda v: v, lambda v: v, 1.0)
    with pytest.raises(TypeError, match=r"body_fun must return the type of init_val "
                                        r"\(f64\[\]\), but it returned \(f64\[2\]\)"):
        lt.while_loop(lambda v: v < 1, lambda v: lnp.ones(2) * v, 1.0)


def test_python_if_on_traced_value_points_to_cond():
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(lt.ConcretizationError) as e:
        lt.jit(f)(1.0)
    msg = str(e.value)
    assert "lintra.cond" in msg and "test_control_cond.py" in msg
