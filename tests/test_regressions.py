"""Regression tests for reported bugs. Expected values come from closed forms, central finite
differences (computed with NumPy here) or JAX, never from lintra itself."""

import numpy as np
import pytest

import lintra
import lintra.numpy as lnp
from lintra.core.errors import LintraError, NonDifferentiableError, UnexpectedTracerError


def fd_grad(f, x, h=1e-6):
    """Central finite differences of a scalar NumPy function."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ---------------------------------------------------------------- 1. custom rule checks

def _sin_vjp(bwd):
    def my_sin(x):
        return lnp.sin(x)

    f = lintra.custom_vjp(my_sin)
    f.defvjp(lambda x: (f(x), lnp.cos(x)), bwd)
    return f


@pytest.mark.parametrize("staged", [False, True])
def test_custom_vjp_bwd_wrong_shape_is_an_error(staged):
    f = _sin_vjp(lambda res, g: (lnp.sum(g * res),))
    g = lintra.grad(lambda x: lnp.sum(f(x) * x))
    g = lintra.jit(g) if staged else g
    with pytest.raises(ValueError, match=r"my_sin.*argument 0.*\(\).*\(3,\)"):
        g(np.array([0.1, 0.2, 0.3]))


@pytest.mark.parametrize("staged", [False, True])
def test_custom_vjp_bwd_wrong_dtype_is_an_error(staged):
    f = _sin_vjp(lambda res, g: (lnp.astype(g * res, np.float32),))
    g = lintra.grad(lambda x: lnp.sum(f(x) * x))
    g = lintra.jit(g) if staged else g
    with pytest.raises(TypeError, match=r"my_sin.*argument 0.*float32.*float64"):
        g(np.array([0.1, 0.2, 0.3]))


def test_custom_vjp_bwd_wrong_structure_is_an_error():
    f = _sin_vjp(lambda res, g: (g * res, g * res))
    with pytest.raises(TypeError, match="tuple of 1"):
        lintra.grad(lambda x: lnp.sum(f(x)))(np.array([0.1, 0.2]))


@pytest.mark.parametrize("staged", [False, True])
def test_custom_vjp_correct_rule_still_works(staged):
    f = _sin_vjp(lambda res, g: (g * res,))
    g = lintra.grad(lambda x: lnp.sum(f(x) * x))
    g = lintra.jit(g) if staged else g
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(g(x), np.cos(x) * x + np.sin(x), rtol=1e-12)


@pytest.mark.parametrize("staged", [False, True])
def test_custom_jvp_tangent_checks(staged):
    def make(tangent):
        def my_sin(x):
            return lnp.sin(x)

        f = lintra.custom_jvp(my_sin)
        f.defjvp(lambda p, t: (lnp.sin(p[0]), tangent(p[0], t[0])))
        return f

    x = np.array([0.1, 0.2, 0.3])
    bad_shape = make(lambda x, t: lnp.sum(lnp.cos(x) * t))
    bad_dtype = make(lambda x, t: lnp.astype(lnp.cos(x) * t, np.float32))
    good = make(lambda x, t: lnp.cos(x) * t)
    for f, err, pat in [(bad_shape, ValueError, r"my_sin.*shape \(\).*output 0.*\(3,\)"),
                        (bad_dtype, TypeError, r"my_sin.*float32.*float64")]:
        g = lintra.grad(lambda x, f=f: lnp.sum(f(x)))
        with pytest.raises(err, match=pat):
            (lintra.jit(g) if staged else g)(x)
        with pytest.raises(err, match=pat):
            lintra.jvp(f, (x,), (np.ones(3),))
    g = lintra.grad(lambda x: lnp.sum(good(x)))
    np.testing.assert_allclose((lintra.jit(g) if staged else g)(x), np.cos(x), rtol=1e-12)


# ---------------------------------------------------------------- 2. std / norm at zero

def test_std_grad_at_constant_is_zero():
    assert lintra.grad(lnp.std)(3.5) == 0.0
    c = np.full(4, 2.0)
    np.testing.assert_allclose(lintra.grad(lnp.std)(c), fd_grad(np.std, c), atol=1e-8)
    np.testing.assert_array_equal(lintra.grad(lnp.std)(c), np.zeros(4))
    np.testing.assert_array_equal(lintra.jit(lintra.grad(lnp.std))(c), np.zeros(4))
    np.testing.assert_array_equal(
        lintra.grad(lambda a: lnp.sum(lnp.std(a, axis=0)))(np.ones((3, 2))), np.zeros((3, 2)))


def test_std_grad_away_from_zero_unchanged():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    np.testing.assert_allclose(lintra.grad(lnp.std)(x), fd_grad(np.std, x), rtol=1e-6)
    n = len(x)
    closed = (x - x.mean()) / (n * np.std(x))
    np.testing.assert_allclose(lintra.grad(lnp.std)(x), closed, rtol=1e-12)


def test_norm_grad_at_origin_is_zero():
    np.testing.assert_array_equal(lintra.grad(lnp.linalg.norm)(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(lintra.jit(lintra.grad(lnp.linalg.norm))(np.zeros(3)),
                                  np.zeros(3))
    np.testing.assert_array_equal(
        lintra.grad(lambda a: lnp.linalg.norm(a, "fro"))(np.zeros((2, 2))), np.zeros((2, 2)))
    # one row at the origin, one not, with an axis
    a = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    g = lintra.grad(lambda a: lnp.sum(lnp.linalg.norm(a, axis=1)))(a)
    np.testing.assert_allclose(g, [[0, 0, 0], [1 / 3, -2 / 3, 2 / 3]], rtol=1e-12)


def test_norm_derivatives_away_from_zero_unchanged():
    x = np.array([1.0, -2.0, 2.0])
    r = 3.0
    np.testing.assert_allclose(lintra.grad(lnp.linalg.norm)(x), x / r, rtol=1e-12)
    hess = (np.eye(3) - np.outer(x, x) / r**2) / r
    np.testing.assert_allclose(lintra.hessian(lnp.linalg.norm)(x), hess, rtol=1e-12,
                               atol=1e-15)
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    g = lintra.grad(lambda a: lnp.sum(lnp.linalg.norm(a, axis=0)))(a)
    np.testing.assert_allclose(g, a / np.linalg.norm(a, axis=0), rtol=1e-12)


# ---------------------------------------------------------------- 3. differentiating f_vjp

def test_vjp_of_eager_vjp_linear():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    c = rng.normal(size=5)
    t = rng.normal(size=5)
    _, f_vjp = lintra.vjp(lambda x: lnp.dot(A, x), x)
    h = lambda c: f_vjp(c)[0]              # c -> A^T c
    _, h_vjp = lintra.vjp(h, np.zeros(5))
    np.testing.assert_allclose(h_vjp(t)[0], A @ t, rtol=1e-12)
    np.testing.assert_allclose(lintra.jacrev(h)(np.zeros(5)), A.T, rtol=1e-12)
    np.testing.assert_allclose(lintra.jit(h)(c), A.T @ c, rtol=1e-12)
    np.testing.assert_allclose(lintra.jvp(h, (c,), (t,))[1], A.T @ t, rtol=1e-12)
    np.testing.assert_allclose(lintra.jacfwd(h)(c), A.T, rtol=1e-12)


def test_vjp_of_eager_vjp_nonlinear():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    c = rng.normal(size=4)
    t = rng.normal(size=4)

    def f(x):                     # scalar-loop code (fast paths) and an array op
        s = [lnp.sin(x[i]) * x[(i + 1) % 4] for i in range(4)]
        return lnp.stack(s) + lnp.tanh(lnp.dot(A, x))

    def f_np(x):
        return np.sin(x) * np.roll(x, -1) + np.tanh(A @ x)

    J = np.stack([(f_np(x + h) - f_np(x - h)) / 2e-6 for h in 1e-6 * np.eye(4)], axis=1)
    _, f_vjp = lintra.vjp(f, x)
    h = lambda c: f_vjp(c)[0]              # c -> J^T c
    _, h_vjp = lintra.vjp(h, c)
    np.testing.assert_allclose(h_vjp(t)[0], J @ t, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lintra.jit(h)(c), J.T @ c, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lintra.jvp(h, (c,), (t,))[1], J.T @ t, rtol=1e-6, atol=1e-8)


def test_vjp_of_eager_vjp_through_fork_join():
    x = np.array([0.3, -0.4, 1.1])
    c = np.array([1.0, 2.0, -1.0])

    def f(v):
        a, b = lintra.fork_join(lambda v: lnp.sin(v) * v[0], lambda v: lnp.cos(v) * v[1], v)
        return a + b

    def f_np(v):
        return np.sin(v) * v[0] + np.cos(v) * v[1]

    J = np.stack([(f_np(x + h) - f_np(x - h)) / 2e-6 for h in 1e-6 * np.eye(3)], axis=1)
    _, f_vjp = lintra.vjp(f, x)
    np.testing.assert_allclose(lintra.jit(lambda c: f_vjp(c)[0])(c), J.T @ c, rtol=1e-6)


# ---------------------------------------------------------------- 4. nested lists

def test_concatenate_and_append_of_nested_lists_with_tracers():
    x = np.array([0.5, -1.0, 2.0])
    w = np.array([1.0, 2.0, 3.0])
    f1 = lambda x: lnp.sum(w * lnp.concatenate([[x[0], x[1]], [x[2]]]) ** 2)
    f2 = lambda x: lnp.sum(lnp.append([x[0]], [x[1], 2.0]) * w)
    f3 = lambda x: lnp.sum(lnp.concatenate([[x[0], x[1]], [[x[2]]]], axis=None) * w)
    for f, val, grad in [(f1, np.sum(w * x**2), 2 * w * x),
                         (f2, x[0] + 2 * x[1] + 6, [1.0, 2.0, 0.0]),
                         (f3, np.sum(w * x), w)]:
        np.testing.assert_allclose(f(x), val, rtol=1e-12)
        np.testing.assert_allclose(lintra.jit(f)(x), val, rtol=1e-12)
        np.testing.assert_allclose(lintra.grad(f)(x), grad, rtol=1e-12)
        np.testing.assert_allclose(lintra.jit(lintra.grad(f))(x), grad, rtol=1e-12)


# ---------------------------------------------------------------- 5. float16

@pytest.mark.parametrize("staged", [False, True])
def test_grad_of_float16(staged):
    x = np.array([1.0, 2.0, 3.0], np.float16)
    g = lintra.grad(lambda x: lnp.sum(x * x * 0.5))
    g = lintra.jit(g) if staged else g
    out = g(x)
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, x)
    s = (lintra.jit(lintra.grad(lambda s: s * s)) if staged else
         lintra.grad(lambda s: s * s))(np.float16(3.0))
    assert s.dtype == np.float16 and s == 6.0


# ---------------------------------------------------------------- 6. escaped tracers

def _leaky():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0
    return leaked, f


@pytest.mark.parametrize("transform", ["jit", "grad", "grad_vector", "jvp", "jit_grad"])
def test_escaped_tracer_is_an_error(transform):
    leaked, f = _leaky()
    if transform == "jit":
        lintra.jit(f)(1.0)
    elif transform == "grad":
        lintra.grad(f)(1.0)
    elif transform == "grad_vector":
        lintra.grad(lambda x: lnp.sum(f(x)))(np.ones(3))
    elif transform == "jvp":
        lintra.jvp(f, (1.0,), (1.0,))
    else:
        lintra.jit(lintra.grad(f))(1.0)
    (t,) = leaked
    for use in (lambda: t + 1.0, lambda: lnp.sin(t), lambda: 3.0 * t,
                lambda: lintra.jit(lambda y: y + t)(1.0)):
        with pytest.raises(UnexpectedTracerError, match="escaped"):
            use()
    assert issubclass(UnexpectedTracerError, LintraError)


# ---------------------------------------------------------------- 7. clearer errors

def test_vjp_input_may_be_mutated_after_the_call():
    x = np.array([1.0, 2.0, 3.0])
    y, f_vjp = lintra.vjp(lambda v: lnp.sum(v * v * v), x)
    x[0] = 5.0
    np.testing.assert_allclose(f_vjp(1.0)[0], 3 * np.array([1.0, 2.0, 3.0]) ** 2)
    x[1] = -7.0
    np.testing.assert_allclose(f_vjp(1.0)[0], 3 * np.array([1.0, 2.0, 3.0]) ** 2)


def test_vjp_constant_stays_frozen_while_f_vjp_lives():
    a = np.array([1.0, 2.0, 3.0])
    x = np.array([0.5, 0.5, 0.5])
    _, f_vjp = lintra.vjp(lambda v: lnp.sum(a * v * v), x)
    np.testing.assert_allclose(f_vjp(1.0)[0], 2 * a * x)
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 10.0                      # would silently change the next f_vjp call
    np.testing.assert_allclose(f_vjp(1.0)[0], [1.0, 2.0, 3.0])
    del f_vjp
    a[0] = 10.0                          # writable again once the derivative is gone


def test_mutating_a_recorded_constant_names_lintra():
    def mutates(x):
        c = np.array([1.0, 2.0])
        y = lnp.sum(x * c)
        c[0] = 100.0
        return y

    with pytest.raises(ValueError, match="read-only.*lintra"):
        lintra.grad(mutates)(np.ones(2))


def test_checkpoint_policy_is_validated():
    with pytest.raises(TypeError, match=r"lintra\.checkpoint_policies.*nothing_saveable"):
        lintra.checkpoint(lambda x: x, policy="nonsense")
    with pytest.raises(TypeError, match="checkpoint_policies"):
        lintra.checkpoint(lambda x: x, policy="dots_saveable")


def test_jacobians_reject_integers_like_grad():
    with pytest.raises(NonDifferentiableError):
        lintra.grad(lambda x: lnp.astype(x, np.int64))(1.0)
    with pytest.raises(NonDifferentiableError, match="floating-point"):
        lintra.jacrev(lambda x: lnp.astype(x * 3.0, np.int64))(np.array([1.0, 2.0]))
    with pytest.raises(NonDifferentiableError):
        lintra.grad(lambda n: n * 2.0)(3)
    with pytest.raises(NonDifferentiableError, match="floating-point"):
        lintra.jacfwd(lambda n: n * 2.0)(np.array([1, 2]))


def test_isclose_allclose_array_equal_match_numpy():
    a = np.array([1.0, np.inf, np.nan, 1e10, -np.inf, 0.0])
    b = np.array([1.0 + 1e-9, np.inf, np.nan, 1.00001e10, np.inf, 1e-9])
    for en in (False, True):
        np.testing.assert_array_equal(lnp.isclose(a, b, equal_nan=en),
                                      np.isclose(a, b, equal_nan=en))
        assert lnp.allclose(a, b, equal_nan=en) == np.allclose(a, b, equal_nan=en)
        assert lnp.allclose(a[:2], b[:2], equal_nan=en) == np.allclose(a[:2], b[:2])
        assert lnp.array_equal(a, a, equal_nan=en) == np.array_equal(a, a, equal_nan=en)
    np.testing.assert_array_equal(lnp.isclose(np.arange(3), [0, 1, 3]),
                                  np.isclose(np.arange(3), [0, 1, 3]))
    assert not lnp.array_equal(np.ones(2), np.ones(3))
    # on tracers: traced booleans
    x = np.array([1.0, 1.0 + 1e-12, 2.0])
    np.testing.assert_array_equal(lintra.jit(lambda x: lnp.isclose(x, 1.0))(x),
                                  [True, True, False])
    assert not lintra.jit(lambda x: lnp.allclose(x, 1.0))(x)
    assert lintra.jit(lambda x: lnp.array_equal(x, x))(x)
    g = lintra.grad(lambda x: lnp.sum(lnp.where(lnp.allclose(x, 1.0), 2.0 * x, x)))
    np.testing.assert_array_equal(g(np.ones(3)), [2.0, 2.0, 2.0])


def test_numpy_function_error_recommends_only_existing_names():
    with pytest.raises(TypeError, match=r"use `lintra\.numpy\.allclose`"):
        lintra.grad(lambda x: np.allclose(x, 1.0))(np.ones(3))
    with pytest.raises(TypeError, match=r"use `lintra\.numpy\.linalg\.norm`"):
        lintra.grad(lambda x: np.linalg.norm(x))(np.ones(3))
    with pytest.raises(TypeError, match="lintra.numpy has no equivalent") as e:
        lintra.grad(lambda x: np.real_if_close(x).sum())(np.ones(3))
    assert "lintra.numpy.real_if_close" not in str(e.value)
    with pytest.raises(TypeError, match=r"use `lintra\.numpy\.histogram2d`"):
        lintra.grad(lambda x: np.histogram2d(x, x)[0].sum())(np.ones(3))
    with pytest.raises(TypeError, match=r"use `lintra\.numpy\.median`"):
        lintra.grad(lambda x: np.median(x))(np.ones(3))
