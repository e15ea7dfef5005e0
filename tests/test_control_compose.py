"""Control flow composed with the rest of lintra: random shapes, reusable functions (@fn),
checkpoint policies and custom rules inside loop bodies, and the printed programs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.ops.indexing import take
from lintra.test_util import check_grads, check_staged

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)


@settings(max_examples=8)
@given(shape=shapes, n=st.integers(1, 4), seed=st.integers(0, 2**16), reverse=st.booleans())
def test_scan_over_random_shapes(shape, n, seed, reverse):
    rng = np.random.default_rng(seed)
    init = rng.uniform(-1, 1, shape)
    xs = rng.uniform(-1, 1, (n,) + shape)
    w = rng.uniform(-1, 1, shape)

    def f(init, xs, w):
        def body(c, x):
            c2 = lnp.sin(c * w) + x * c
            return c2, lnp.cos(c2) * x
        c, ys = lt.scan(body, init, xs, reverse=reverse)
        return lnp.sum(c) + lnp.sum(ys * ys)

    check_grads(f, (init, xs, w), order=2)
    check_grads(lt.jit(f), (init, xs, w), order=1)
    check_staged(lt.grad(f, (0, 1, 2)), (init, xs, w), rtol=1e-10)


@lt.fn
def cell(c, x):
    return lnp.tanh(c * x + lnp.sin(c))


def fn_in_scan(x):
    c, ys = lt.scan(lambda c, xi: (cell(c, xi), c), 0.5, x)
    return c + lnp.sum(ys)


def checkpointed_body(x):
    body = lt.checkpoint(lambda c, xi: (lnp.sin(lnp.sin(c) * xi), c * c),
                         policy=lt.checkpoint_policies.nothing_saveable)
    c, ys = lt.scan(body, 0.5, x)
    return c + lnp.sum(ys)


@lt.custom_jvp
def softplus(v):
    return lnp.log(1.0 + lnp.exp(v))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (v,), (t,) = primals, tangents
    return softplus(v), t / (1.0 + lnp.exp(-v))


def custom_in_loop(x):
    return lt.fori_loop(0, 3, lambda i, c: softplus(c * take(x, i)) * 0.5 + c * c,
                        lnp.sum(x))


@lt.fn
def scan_in_fn(x):
    return fn_in_scan(x) * 2.0


def test_composes_with_fn_checkpoint_and_custom_rules():
    x = np.array([0.3, -0.7, 1.2, 0.4])
    for f in (fn_in_scan, checkpointed_body, custom_in_loop, scan_in_fn):
        check_grads(f, (x,), order=2)
        check_grads(lt.jit(f), (x,), order=2)
        lt.typecheck(lt.make_program(lt.grad(f))(x))
    # reusable functions stay calls inside the loop body and its derivatives
    prog = lt.make_program(lt.grad(fn_in_scan))(x)
    scans = [e for e in prog.eqns if e.prim.name == "scan"]
    assert all(any(e.prim.name == "call" for e in s.params["body"].eqns) for s in scans)


def test_checkpointed_body_saves_fewer_residuals():
    x = np.linspace(-1, 1, 20)

    def plain(x):
        c, ys = lt.scan(lambda c, xi: (lnp.sin(lnp.sin(lnp.sin(c) * xi)), c), 0.5, x)
        return c + lnp.sum(ys)

    def remat(x):
        body = lt.checkpoint(lambda c, xi: (lnp.sin(lnp.sin(lnp.sin(c) * xi)), c),
                             policy=lt.checkpoint_policies.nothing_saveable)
        c, ys = lt.scan(body, 0.5, x)
        return c + lnp.sum(ys)

    n_plain, n_remat = len(lt.saved_residuals(plain, x)), len(lt.saved_residuals(remat, x))
    assert n_remat < n_plain, (n_plain, n_remat)
    np.testing.assert_allclose(lt.grad(remat)(x), lt.grad(plain)(x), rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.grad(remat))(x), lt.grad(plain)(x), rtol=1e-12)


def test_printed_program_shows_the_loop_and_its_body():
    text = str(lt.make_program(lambda x: lt.scan(lambda c, xi: (c + xi, c), 0.0, x))(
        np.ones(3)))
    assert "scan[body=" in text and "length=3" in text and "reverse=False" in text
    assert "\nbody =\n{ lambda" in text
    text = str(lt.make_program(lambda x: lt.cond(x > 0, lnp.sin, lnp.cos, x))(1.0))
    assert "cond[branches=(" in text and "sin" in text and "cos" in text


def test_linear_transpose_of_loops_and_branches():
    x = np.array([0.3, -0.7, 1.2, 0.4])
    cumsum = lambda x: lt.scan(lambda c, xi: (c + xi, c + xi), 0.0, x)[1]   # noqa: E731
    (ct,) = lt.linear_transpose(cumsum, x)(np.array([1.0, 0.0, 2.0, 0.5]))
    np.testing.assert_allclose(ct, [3.5, 2.5, 2.5, 0.5])   # reversed cumulative sum
    pick = lt.jit(lambda p, x: lt.cond(p, lambda v: v * 2.0, lambda v: -v, x))
    for p, scale in ((True, 2.0), (False, -1.0)):
        (ct,) = lt.linear_transpose(lambda x, p=p: pick(p, x), x)(np.ones(4))
        np.testing.assert_allclose(ct, scale * np.ones(4))
    with pytest.raises(lt.NonLinearError, match="mul"):
        lt.linear_transpose(lambda x: lt.scan(lambda c, xi: (c * xi, c), 1.0, x)[1], x)


def test_python_scalar_results_take_the_expected_dtype():
    x32 = np.ones(3, np.float32)
    c, ys = lt.scan(lambda c, xi: (0.0, c * xi), np.float32(1), x32)
    assert c.dtype == np.float32 and ys.dtype == np.float32
    np.testing.assert_array_equal(ys, [1.0, 0.0, 0.0])
    f = lt.jit(lambda p, x: lt.cond(p, lambda v: v * 2, lambda v: 0.0, x))
    assert f(True, np.float32(1.5)).dtype == np.float32
    assert f(False, np.float32(1.5)).dtype == np.float32
    v, k = lt.while_loop(lambda c: c[1] < 3, lambda c: (0.0, c[1] + 1), (np.float32(2), 0))
    assert v.dtype == np.float32 and int(k) == 3
