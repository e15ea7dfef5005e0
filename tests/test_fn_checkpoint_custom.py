"""Reusable functions (@fn), checkpoint policies, and custom derivative rules (Core B)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lintra as lt
import lintra.numpy as lnp
from lintra.core.printing import count_programs
from lintra.test_util import check_grads, check_staged

P = lt.checkpoint_policies


def _nested(depth):
    fs = [lt.fn(lnp.sin, name="f0")]
    for k in range(depth):
        fs.append(lt.fn((lambda p: lambda x: p(x) + p(x))(fs[-1]), name=f"f{k + 1}"))
    return fs[-1]


def test_nested_fns_stay_linear_in_size():
    f = _nested(30)
    n_prog, n_eqns = count_programs(lt.make_program(f)(0.3))
    assert n_prog == 32 and n_eqns <= 2 * 32          # f0..f30 once each, plus the wrapper
    n_prog_g, n_eqns_g = count_programs(lt.make_program(lt.grad(f))(0.3))
    assert n_prog_g <= 2 * 31 + 1 and n_eqns_g <= 4 * 32
    np.testing.assert_allclose(lt.grad(f)(0.3), 2.0 ** 30 * np.cos(0.3), rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.grad(f))(0.3), 2.0 ** 30 * np.cos(0.3), rtol=1e-12)


def test_fn_traced_once_per_types():
    traces = []

    @lt.fn
    def g(x):
        traces.append(1)
        return x * lnp.sin(x)

    g(1.0)
    g(2.0)
    lt.grad(lambda x: g(x) + g(2 * x))(1.0)
    assert len(traces) == 1
    g(np.ones(3))
    assert len(traces) == 2


@given(x=st.floats(-2, 2))
def test_fn_derivatives(x):
    @lt.fn
    def inner(a, b):
        return lnp.sin(a) * b + lnp.exp(a * 0.1)

    f = lambda v: inner(v, v * v) + inner(v + 1.0, 2.0)
    check_grads(f, (x,), order=2)
    check_staged(f, (x,))


def _sin_chain(x):
    for _ in range(8):
        x = lnp.sin(x)
    return x


def test_policies_give_identical_gradients_and_fewer_residuals():
    x = 0.7
    ref = lt.grad(_sin_chain)(x)
    counts = {}
    for name, pol in [("everything", P.everything_saveable), ("nothing", P.nothing_saveable),
                      ("dots", P.dots_saveable)]:
        f = lt.checkpoint(_sin_chain, policy=pol)
        assert lt.grad(f)(x) == ref                        # identical, not just close
        assert lt.jit(lt.grad(f))(x) == ref
        counts[name] = len(lt.saved_residuals(f, x))
    assert counts["everything"] == 8                      # cos(x_k) for each layer
    assert counts["nothing"] == 1                         # only the input
    assert counts["dots"] == 1                            # no dots in a sin chain
    assert len(lt.saved_residuals(_sin_chain, x)) == 8    # no checkpoint: save everything


def test_name_based_policy():
    def f(x):
        a = lt.checkpoint_name(lnp.sin(x), "a")
        b = lnp.sin(a)
        return lnp.sin(b)

    only_a = lt.checkpoint(f, policy=P.save_only_these_names("a"))
    # the input (to recompute cos(x)) and the named value `a`; cos(a), cos(b) are recomputed
    assert len(lt.saved_residuals(only_a, 0.3)) == 2
    assert lt.grad(only_a)(0.3) == lt.grad(f)(0.3)
    but_a = lt.checkpoint(f, policy=P.save_any_names_but_these("a"))
    assert len(lt.saved_residuals(but_a, 0.3)) == 1       # only the input
    assert lt.grad(but_a)(0.3) == lt.grad(f)(0.3)


def test_checkpoint_higher_order_and_staged():
    f = lt.checkpoint(lambda x: lnp.sum(lnp.sin(x) ** 2))
    check_grads(f, (np.array([0.1, 0.5, 1.0]),), order=2)
    check_staged(lt.grad(f), (np.array([0.1, 0.5, 1.0]),))


def test_custom_jvp_everywhere():
    @lt.custom_jvp
    def softplus(x):
        return lnp.log1p(lnp.exp(x))

    @softplus.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t * lt.numpy.logistic(x) if hasattr(lt.numpy, "logistic") \
            else t / (1.0 + lnp.exp(-x))

    x = 0.4
    sig = 1 / (1 + np.exp(-x))
    assert np.isclose(lt.grad(softplus)(x), sig)
    assert np.isclose(lt.jit(lt.grad(softplus))(x), sig)
    assert np.isclose(lt.jvp(softplus, (x,), (2.0,))[1], 2 * sig)
    assert np.isclose(lt.hessian(softplus)(x), sig * (1 - sig))
    check_grads(softplus, (x,), order=2)


def test_custom_jvp_rule_is_used():
    @lt.custom_jvp
    def f(x):
        return lnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 10.0 * t[0]))
    assert lt.grad(f)(1.0) == 10.0
    assert lt.grad(lt.jit(f))(1.0) == 10.0


def test_custom_jvp_nondiff_argnums():
    from functools import partial

    @partial(lt.custom_jvp, nondiff_argnums=(0,))
    def scaled(k, x):
        return k * lnp.sin(x)

    @scaled.defjvp
    def _(k, primals, tangents):
        (x,), (t,) = primals, tangents
        return scaled(k, x), k * lnp.cos(x) * t

    assert np.isclose(lt.grad(lambda x: scaled(3.0, x))(0.2), 3 * np.cos(0.2))


def test_custom_vjp():
    @lt.custom_vjp
    def clip_grad(x):
        return x

    clip_grad.defvjp(lambda x: (x, None), lambda res, ct: (lnp.clip(ct, -1.0, 1.0),))
    f = lambda x: lnp.sum(clip_grad(x) * np.array([5.0, 0.5, -3.0]))
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(lt.grad(f)(x), [1.0, 0.5, -1.0])
    np.testing.assert_array_equal(lt.jit(lt.grad(f))(x), [1.0, 0.5, -1.0])

    @lt.custom_vjp
    def mysin(x):
        return lnp.sin(x)

    mysin.defvjp(lambda x: (mysin(x), lnp.cos(x)), lambda c, ct: (c * ct,))
    x = np.array([0.3, -0.8])
    np.testing.assert_allclose(lt.jacrev(mysin)(x), np.diag(np.cos(x)), rtol=1e-12)


def test_custom_vjp_in_forward_mode_is_a_clear_error():
    @lt.custom_vjp
    def f(x):
        return lnp.sin(x)

    f.defvjp(lambda x: (f(x), lnp.cos(x)), lambda c, ct: (c * ct,))
    with pytest.raises(lt.LintraError, match="custom_vjp.*forward mode"):
        lt.jvp(f, (1.0,), (1.0,))
    with pytest.raises(lt.LintraError, match="forward mode"):
        lt.jacfwd(f)(np.ones(2))


def test_custom_vjp_bwd_structure_error():
    @lt.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda r, ct: (ct * r[1],))
    with pytest.raises(TypeError, match="tuple of 2 cotangents"):
        lt.grad(f)(1.0, 2.0)


def test_missing_custom_rules():
    f = lt.custom_jvp(lnp.sin)
    with pytest.raises(lt.LintraError, match="defjvp"):
        lt.grad(f)(1.0)
    g = lt.custom_vjp(lnp.sin)
    with pytest.raises(lt.LintraError, match="defvjp"):
        lt.grad(g)(1.0)


def test_checkpointed_scan_body_keeps_only_the_carries():
    ws = [np.full((3, 3), 0.1 * k) for k in range(1, 4)]

    def loss(ws, c, policy):
        def block(c, ws):
            for w in ws:
                c = lnp.tanh(c @ w)
            return c

        body = block if policy is None else lt.checkpoint(block, policy=policy)
        final, _ = lt.scan(lambda carry, _: (body(carry, ws), None), c, None, length=7)
        return lnp.sum(final)

    c0 = np.ones((2, 3))
    plain = lt.saved_residuals(lambda ws, c: loss(ws, c, None), ws, c0)
    remat = lt.saved_residuals(lambda ws, c: loss(ws, c, P.nothing_saveable), ws, c0)
    stacked = lambda res: [a.shape for a, _ in res if a.shape[:1] == (7,)]
    assert stacked(remat) == [(7, 2, 3)]          # only the carry of each step, not the weights
    assert len(stacked(plain)) >= 3               # every layer's activations
    g1 = lt.grad(lambda ws, c: loss(ws, c, None))(ws, c0)
    g2 = lt.grad(lambda ws, c: loss(ws, c, P.nothing_saveable))(ws, c0)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-13)
