"""scan and fori_loop (design §3, §5; issue 3): values, jit, every derivative mode, nesting,
staged programs that type-check, agreement with JAX, O(n) index adjoints in loops and exact
reverse mode through nonlinear carried state."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ad.linearity import check_linear
from lintra.core.primitive import registry
from lintra.ops.indexing import take
from lintra.test_util import check_grads, check_staged, numerical_jvp

floats = st.floats(-1.5, 1.5, allow_nan=False)


def vec(n):
    return st.lists(floats, min_size=n, max_size=n).map(np.array)


def recurrence(x):
    """The nonlinear carried state of issue 3: s = sin(s) * x[i] + x[i]."""
    return lt.fori_loop(0, x.shape[0], lambda i, s: lnp.sin(s) * take(x, i) + take(x, i),
                        0.3)


def scan_ys(x):
    def body(c, xi):
        return lnp.sin(c) * xi + xi, c * lnp.cos(xi)
    c, ys = lt.scan(body, 0.5, x)
    return c + lnp.sum(ys * ys)


def scan_closure(w, xs):
    """Closed-over w becomes a const of the scan; xs has two leading-axis leaves (pytree)."""
    def body(carry, x):
        a, b = carry
        u, v = x
        a2 = lnp.tanh(w * a + u)
        return (a2, b + lnp.sum(a2) * v), a2 - b
    (a, b), ys = lt.scan(body, (lnp.zeros(2), 0.1), (xs, lnp.sum(xs, axis=1)))
    return lnp.sum(a) + b + lnp.sum(lnp.sin(ys))


def scan_reverse(x):
    c, ys = lt.scan(lambda c, xi: (c * xi + lnp.sin(c), c), 1.0, x, reverse=True)
    return c + lnp.sum(ys * lnp.arange(x.shape[0]))


def nested(x):
    def outer(c, xi):
        inner, zs = lt.scan(lambda d, y: (lnp.sin(d * y + c), d * y), xi, x)
        return c + inner, lnp.sum(zs)
    c, ys = lt.scan(outer, 0.2, x)
    return c * lnp.sum(ys)


def fori_index_adjoint(x):
    n = x.shape[0]
    return lt.fori_loop(0, n - 1, lambda i, a: a + lnp.sin(take(x, i)) * lnp.cos(take(x, i + 1)),
                        0.0)


FUNCS = {"recurrence": recurrence, "scan_ys": scan_ys, "scan_reverse": scan_reverse,
         "nested": nested, "fori_index_adjoint": fori_index_adjoint}


@pytest.mark.parametrize("name", sorted(FUNCS))
@settings(max_examples=4)
@given(x=vec(4))
def test_scan_grads_eager_and_jit(name, x):
    f = FUNCS[name]
    check_grads(f, (x,), order=2)
    check_grads(lt.jit(f), (x,), order=2)
    check_staged(f, (x,))
    check_staged(lt.grad(f), (x,), rtol=1e-10)
    np.testing.assert_allclose(lt.grad(lt.jit(f))(x), lt.grad(f)(x), rtol=1e-10)


@settings(max_examples=5)
@given(w=vec(2), xs=st.lists(vec(2), min_size=3, max_size=3).map(np.array))
def test_scan_pytrees_and_closures(w, xs):
    check_grads(scan_closure, (w, xs), order=2)
    check_grads(lt.jit(scan_closure), (w, xs), order=1)
    check_staged(scan_closure, (w, xs))
    check_staged(lt.grad(scan_closure, argnums=(0, 1)), (w, xs), rtol=1e-10)


def test_nonlinear_carry_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 1.2, 12)
    g = lt.grad(recurrence)(x)
    for k in range(len(x)):
        e = np.zeros_like(x)
        e[k] = 1.0
        fd = numerical_jvp(recurrence, (x,), (e,), eps=1e-6)
        np.testing.assert_allclose(g[k], fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(lt.jit(lt.grad(recurrence))(x), g, rtol=1e-12)


def test_jvp_of_grad_and_grad_of_grad_through_scan():
    x = np.array([0.3, -0.8, 0.5, 1.1])
    t = np.array([1.0, -0.5, 0.25, 2.0])
    h = lt.hessian(scan_ys)(x)
    _, hvp = lt.jvp(lt.grad(scan_ys), (x,), (t,))
    np.testing.assert_allclose(hvp, h @ t, rtol=1e-9)
    fd = numerical_jvp(lt.grad(scan_ys), (x,), (t,), eps=1e-6)
    np.testing.assert_allclose(hvp, fd, rtol=1e-5)
    gg = lt.grad(lambda x: lnp.sum(lt.grad(scan_ys)(x) * t))(x)
    np.testing.assert_allclose(gg, h.T @ t, rtol=1e-9)
    np.testing.assert_allclose(lt.jit(lt.hessian(scan_ys))(x), h, rtol=1e-10)


def test_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = np.array([0.3, -0.8, 0.5, 1.1, -0.2])

    def j_scan_ys(x):
        def body(c, xi):
            return jnp.sin(c) * xi + xi, c * jnp.cos(xi)
        c, ys = jax.lax.scan(body, 0.5, x)
        return c + jnp.sum(ys * ys)

    def j_reverse(x):
        c, ys = jax.lax.scan(lambda c, xi: (c * xi + jnp.sin(c), c), 1.0, x, reverse=True)
        return c + jnp.sum(ys * jnp.arange(x.shape[0]))

    def j_fori(x):
        x = jnp.asarray(x)
        return jax.lax.fori_loop(0, x.shape[0] - 1,
                                 lambda i, a: a + jnp.sin(x[i]) * jnp.cos(x[i + 1]), 0.0)

    for ours, theirs in ((scan_ys, j_scan_ys), (scan_reverse, j_reverse),
                         (fori_index_adjoint, j_fori)):
        np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-12)
        np.testing.assert_allclose(lt.grad(ours)(x), jax.grad(theirs)(x), rtol=1e-10)
        np.testing.assert_allclose(lt.jit(lt.hessian(ours))(x), jax.hessian(theirs)(x),
                                   rtol=1e-9, atol=1e-12)


def test_staged_and_derived_programs_typecheck():
    x = np.array([0.3, -0.8, 0.5])
    w, xs = np.array([0.4, -0.3]), np.arange(6.0).reshape(3, 2) / 6
    for f, args in ((scan_ys, (x,)), (nested, (x,)), (recurrence, (x,)),
                    (scan_closure, (w, xs)), (fori_index_adjoint, (x,))):
        for g in (f, lt.grad(f), lt.jacfwd(f), lt.hessian(f),
                  lambda *a, f=f: lt.jvp(f, a, a)[1]):
            prog = lt.make_program(g)(*args)
            lt.typecheck(prog)
        # the linear program of linearize is structurally linear
        _, f_lin = lt.linearize(f, *args)
        lin = f_lin.linear_function
        lt.typecheck(lin.program)
        n_res = len(lin.residuals)
        check_linear(lin.program,
                     [False] * n_res + [True] * (len(lin.program.params) - n_res))


def test_scan_program_shapes_and_linear_unzip():
    x = np.array([0.3, -0.8, 0.5])
    prog = lt.make_program(lt.grad(scan_ys))(x)
    scans = [e for e in prog.eqns if e.prim.name == "scan"]
    assert len(scans) == 2                       # the known scan and the transposed one
    assert scans[0].params["reverse"] is False and scans[1].params["reverse"] is True
    assert "transpose" in scans[1].params["body"].name
    assert lt.unzip_program(lt.make_program(scan_ys)(x), [True]).known is not None


def _scan_in_unzip(f, args, nonzero):
    """The known and unknown scan equations of unzip(jvp(f)) at program level, with tangents
    for the arguments marked in ``nonzero``."""
    from lintra.ad.jvp import jvp_program
    prog = lt.make_program(f)(*args)
    jprog, _ = jvp_program(prog, tuple(nonzero))
    n = len(prog.params)
    u = lt.unzip_program(jprog, [False] * n + [True] * sum(nonzero))
    lt.typecheck(u.known)
    lt.typecheck(u.unknown)
    known = [e for e in u.known.eqns if e.prim.name == "scan"]
    unknown = [e for e in u.unknown.eqns if e.prim.name == "scan"]
    return u, known, unknown


def test_loop_invariant_residuals_are_consts_not_stacked():
    def f(w, xs):
        # with respect to xs the loop is linear, with coefficients sin(w) and cos(w) that
        # are computed outside the loop (closed over): the linear loop takes them as consts
        return lt.scan(lambda c, x: (lnp.sin(w) * c + lnp.cos(w) * x, None), np.zeros(3),
                       xs)[0]

    w, xs = np.array([0.1, 0.2, 0.3]), np.ones((50, 3))
    u, (k,), (un,) = _scan_in_unzip(f, (w, xs), (False, True))
    assert [v for v in k.outputs if v.aval.shape[:1] == (50,)] == []   # nothing stacked
    assert un.params["num_consts"] == 2
    # with respect to w the carry itself is needed at every step: it is stacked
    _, (k,), _ = _scan_in_unzip(f, (w, xs), (True, False))
    assert len([v for v in k.outputs if v.aval.shape == (50, 3)]) == 1
    check_grads(f, (w, xs[:4]), order=2)
    check_grads(lt.jit(f), (w, xs[:4]), order=1)


def scan_const_body(w, xs):
    """A scan whose body program computes from its const alone (as derived bodies do): the
    body is staged with w as an explicit const input."""
    from lintra.core.staging import trace_to_program
    from lintra.ops.control import scan_p
    aval = lt.core.avals.ShapedArray((3,), np.float64)
    body, consts = trace_to_program(
        lambda w, c, x: [lnp.sin(w) * c + lnp.cos(w) * lnp.exp(x)], [aval] * 3, "body")
    assert not consts
    (out,) = scan_p.bind(w, np.zeros(3), xs, body=body, num_consts=1, num_carry=1,
                         length=xs.shape[0], reverse=False, donate=(False,))
    return lnp.sum(out * out)


def test_loop_invariant_residuals_are_hoisted_not_stacked():
    w, xs = np.array([0.1, 0.2, 0.3]), np.linspace(-1, 1, 150).reshape(50, 3)
    u, (k,), (un,) = _scan_in_unzip(scan_const_body, (w, xs), (False, True))
    calls = [e for e in u.known.eqns if e.prim.name == "call"]
    assert len(calls) == 1 and len(calls[0].outputs) == 2   # sin(w), cos(w): computed once
    assert calls[0].params["program"].name.endswith("_invariant")
    stacked = [v for v in k.outputs if v.aval.shape == (50, 3)]
    assert len(stacked) == 1                                 # exp(x) varies per step
    assert un.params["num_consts"] == 2
    check_grads(scan_const_body, (w, xs[:5]), order=2)
    check_grads(lt.jit(scan_const_body), (w, xs[:5]), order=2)
    np.testing.assert_allclose(lt.jit(lt.grad(scan_const_body, (0, 1)))(w, xs)[1],
                               lt.grad(scan_const_body, 1)(w, xs), rtol=1e-12)


def test_per_iteration_residuals_are_stacked():
    u, (k,), (un,) = _scan_in_unzip(recurrence, (np.linspace(0.1, 1.0, 7),), (True,))
    stacked = [v for v in k.outputs if v.aval.shape == (7,)]
    assert len(stacked) >= 1
    assert un.params["length"] == 7 and un.params["num_carry"] == 1


def _count_allocations(monkeypatch):
    """Deterministic cost counter: elements of every array a primitive's impl produces
    (in-place updates of owned buffers allocate nothing and are not counted)."""
    count = {"elements": 0}
    for p in registry.values():
        if p.impl is None:
            continue

        def counted(*a, _impl=p.impl, _multi=p.multiple_results, **k):
            out = _impl(*a, **k)
            for o in (out if _multi else [out]):
                count["elements"] += int(np.size(o))
            return out
        monkeypatch.setattr(p, "impl", counted)
    return count


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_index_adjoints_in_loops_are_linear_in_n(monkeypatch, mode):
    """The gradient of fori_loop(0, n-1, a + sin(x[i]) cos(x[i+1])) costs O(n): the cotangent
    of x is one carried buffer updated in place, never an O(n) copy per iteration."""
    count = _count_allocations(monkeypatch)
    per_n = {}
    for n in (1000, 16000):
        x = np.linspace(-1.0, 1.0, n)
        g = lt.grad(fori_index_adjoint) if mode == "eager" else lt.jit(
            lt.grad(fori_index_adjoint), backend="interpret")   # counts NumPy allocations
        count["elements"] = 0
        out = g(x)
        per_n[n] = count["elements"]
        expect = np.zeros(n)
        expect[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
        expect[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
        np.testing.assert_allclose(out, expect, rtol=1e-12, atol=1e-14)
    # O(n): 16x the length costs ~16x (an O(n^2) gradient would cost ~256x)
    assert per_n[16000] / per_n[1000] < 17, per_n
    assert per_n[16000] < 60 * 16000, per_n


def test_scan_of_scatter_updates_carried_array():
    """A carry updated with scatter_add (and read back) under every mode; the loop's donated
    buffers never leak into the caller's arrays."""
    def f(x):
        def body(acc, i):
            v = take(x, i)
            return acc.at[i].add(lnp.sin(v) * take(acc, i) + v), None
        init = np.ones(x.shape[0])
        acc, _ = lt.scan(body, init, np.arange(x.shape[0]))
        return lnp.sum(acc * acc)

    x = np.array([0.3, -0.2, 0.9])
    x_copy = x.copy()
    check_grads(f, (x,), order=2)
    check_grads(lt.jit(f), (x,), order=1)
    check_staged(lt.grad(f), (x,), rtol=1e-10)
    np.testing.assert_array_equal(x, x_copy)


def test_scan_edge_cases():
    # xs=None with a length; length 0; ys that are pytrees; int carries alongside floats
    c, ys = lt.scan(lambda c, _: ((c[0] + 1, c[1] * 2.0), {"a": c[1]}), (0, 1.0), None,
                    length=4)
    assert int(c[0]) == 4 and float(c[1]) == 16.0
    np.testing.assert_array_equal(ys["a"], [1.0, 2.0, 4.0, 8.0])
    c, ys = lt.scan(lambda c, x: (c + x, x * 2), np.full(2, 1.5), np.zeros((0, 2)))
    np.testing.assert_array_equal(c, [1.5, 1.5])
    assert ys.shape == (0, 2)
    f = lt.jit(lambda x: lt.scan(lambda c, x: (c + x, c), np.zeros(2), x))
    c, ys = f(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(c, [6.0, 9.0])
    np.testing.assert_array_equal(ys, [[0, 0], [0, 1], [2, 4]])
    g = lt.grad(lambda x: lt.scan(lambda c, _: (c * x, None), 1.0, None, length=5)[0])(1.3)
    np.testing.assert_allclose(g, 5 * 1.3 ** 4)


def test_fori_loop_bounds():
    assert lt.fori_loop(2, 7, lambda i, s: s + i, 0) == 2 + 3 + 4 + 5 + 6
    assert lt.fori_loop(5, 2, lambda i, s: s + i, 10) == 10
    f = lt.jit(lambda n, x: lt.fori_loop(0, n, lambda i, s: s * x, 1.0))
    np.testing.assert_allclose(f(np.int64(3), 2.0), 8.0)     # traced bound: a while_loop
    p = lt.make_program(lambda n, x: lt.fori_loop(0, n, lambda i, s: s * x, 1.0))(
        np.int64(3), 2.0)
    assert [e.prim.name for e in p.eqns if e.prim.name in ("scan", "while_loop")] == [
        "while_loop"]
    _, t = lt.jvp(lambda x: f(np.int64(3), x), (2.0,), (1.0,))
    np.testing.assert_allclose(t, 3 * 2.0 ** 2)


def test_scan_errors():
    with pytest.raises(TypeError, match=r"same type as the initial carry.*f64\[\].*f64\[2\]"):
        lt.scan(lambda c, x: (c * x, None), 1.0, np.ones((3, 2)))
    with pytest.raises(TypeError, match="structure"):
        lt.scan(lambda c, x: ((c, c), None), 1.0, np.ones(3))
    with pytest.raises(TypeError, match="must return a pair"):
        lt.scan(lambda c, x: c + x, 1.0, np.ones(3))
    with pytest.raises(ValueError, match="length=4 but xs have leading lengths"):
        lt.scan(lambda c, x: (c, x), 1.0, np.ones(3), length=4)
    with pytest.raises(ValueError, match="different leading lengths"):
        lt.scan(lambda c, x: (c, x), 1.0, (np.ones(3), np.ones(2)))
    with pytest.raises(ValueError, match="give `length`"):
        lt.scan(lambda c, x: (c, x), 1.0, None)
    with pytest.raises(TypeError, match=r"fori_loop: body_fun must return a value of the type "
                                        r"of init_val \(i64\[\]\).*returned \(f64\[\]\)"):
        lt.fori_loop(0, 3, lambda i, s: s * 0.5, np.int64(1))  # a weak 1 promotes (JAX)
    with pytest.raises(TypeError, match="fori_loop: body_fun must return"):
        lt.jit(lambda n: lt.fori_loop(0, n, lambda i, s: (s, s), 1.0))(np.int64(2))
    with pytest.raises(TypeError, match="fori_loop: bounds must be integer"):
        lt.fori_loop(0.0, 3, lambda i, s: s, 1.0)


def test_python_loop_on_traced_value_points_to_control_flow():
    def f(x):
        while x < 3:
            x = x * 2
        return x

    with pytest.raises(lt.ConcretizationError) as e:
        lt.jit(f)(1.0)
    msg = str(e.value)
    assert "lintra.while_loop" in msg and "lintra.fori_loop" in msg and "test_control.py" in msg


def test_jacfwd_through_while_loop():
    def f(x):
        # x_k+1 = x_k * 0.5 + sin(x_k) until the step counter reaches 5
        def cond(state):
            return state[0] < 5

        def body(state):
            return state[0] + 1, state[1] * 0.5 + lnp.sin(state[1])

        return lt.while_loop(cond, body, (0, x))[1]

    x = np.array([0.3, -0.7])
    eps = 1e-6
    fd = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(2)], -1)
    np.testing.assert_allclose(lt.jacfwd(f)(x), fd, rtol=1e-6, atol=1e-9)
