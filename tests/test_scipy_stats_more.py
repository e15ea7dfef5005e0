"""lintra.scipy.stats, the later distributions (geom nbinom betabinom gumbel_r gumbel_l
pareto vonmises wrapcauchy truncnorm gennorm multinomial): values against scipy.stats,
gradients against jax.scipy.stats where JAX has the function, check_grads to order 2 in
both modes, eager == jit, vmap, float32, and the support and parameter edges."""

import numpy as np
import pytest
import scipy.stats as ss

import lintra as lt
import lintra.numpy as lnp
import lintra.scipy.stats as st
from lintra.test_util import along, check_grads, check_staged

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jss = jax.scipy.stats

X = np.array([-0.7, 0.2, 1.5])
U = np.array([0.2, 0.55, 0.9])           # in (0, 1): quantiles
COL = np.array([[0.7], [1.9]])           # a (2, 1) parameter: broadcasts against X to (2, 3)
PCOL = np.array([[0.2], [0.7]])          # probabilities, (2, 1)
K = np.array([0.0, 1.0, 3.0])
CONTINUOUS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
DISCRETE = ["logpmf", "pmf", "cdf", "sf", "logcdf", "logsf"]
XW = np.array([0.3, 2.5, 4.0, 5.8])      # in [loc, loc + 2π scale] for wrapcauchy below

# (distribution, function, arguments, differentiable argument positions)
CASES = []
CASES += [("geom", f, (K + 1.0, PCOL), (1,)) for f in DISCRETE]
CASES += [("nbinom", f, (K, np.array([1.5, 2.5, 4.0]), PCOL), (1, 2))
          for f in ["logpmf", "pmf"]]
# (betainc: any order in p, first order in n: test_nbinom_cdf_n_derivative)
CASES += [("nbinom", f, (K, np.array([1.5, 2.5, 4.0]), PCOL), (2,))
          for f in ["cdf", "sf", "logcdf", "logsf"]]
CASES += [("betabinom", f, (K, np.array([3.0, 5.0, 6.0]), COL + 0.5, 2.5), (1, 2, 3))
          for f in ["logpmf", "pmf"]]
for _d in ("gumbel_r", "gumbel_l"):
    CASES += [(_d, f, (X, 0.1, COL), (0, 1, 2)) for f in CONTINUOUS]
    CASES += [(_d, f, (U, 0.1, COL), (0, 1, 2)) for f in ["ppf", "isf"]]
CASES += [("pareto", f, (X + 3.6, COL + 0.5, 0.1, 1.3), (0, 1, 2, 3)) for f in CONTINUOUS]
CASES += [("pareto", f, (U, COL + 0.5, 0.1, 1.3), (0, 1, 2, 3)) for f in ["ppf", "isf"]]
CASES += [("vonmises", f, (X, COL * 2, 0.2, 1.1), (0, 1, 2, 3)) for f in ["logpdf", "pdf"]]
CASES += [("vonmises", f, (X, COL * 2), (0, 1)) for f in ["logpdf", "pdf"]]
CASES += [("wrapcauchy", f, (XW, COL / 2.5, 0.1, 0.95), (0, 1, 2, 3))
          for f in ["logpdf", "pdf", "cdf", "sf"]]
CASES += [("wrapcauchy", f, (XW, COL / 2.5), (0, 1)) for f in ["logpdf", "pdf"]]
CASES += [("wrapcauchy", "ppf", (U, COL / 2.5, 0.1, 0.95), (0, 1, 2, 3))]
# truncnorm across 0, in the upper tail, in the lower tail, with an infinite bound
for _x, _a, _b in [(X, -1.2, COL + 1.0), (np.array([3.1, 3.5, 4.4]), 2.2, COL * 2 + 3.0),
                   (np.array([-4.4, -3.5, -3.1]), -COL * 2 - 3.0, -2.6),
                   (X, -1.2, np.inf)]:
    _argnums = (0, 1, 3, 4) if np.any(np.isinf(_b)) else (0, 1, 2, 3, 4)
    CASES += [("truncnorm", f, (_x, _a, _b, 0.1, 1.2), _argnums) for f in CONTINUOUS]
    CASES += [("truncnorm", "ppf", (U, _a, _b, 0.1, 1.2), _argnums)]
CASES += [("gennorm", f, (X, COL + 0.8, 0.1, 1.3), (0, 1, 2, 3))
          for f in ["logpdf", "pdf", "cdf", "sf"]]
CASES += [("gennorm", f, (X, COL + 0.8), (0, 1)) for f in ["logpdf", "pdf", "cdf"]]
CASES += [("multinomial", f, (np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 2.0]]), 3.0,
                              np.array([0.2, 0.3, 0.5])), (2,)) for f in ["logpmf", "pmf"]]
CASES += [("multinomial", "logpmf", (np.array([1.0, 2.0, 1.0]), 4.0,
                                     np.array([0.2, 0.3, 0.5])), (2,))]
IDS = [f"{d}.{f}" + ("" if i == 0 else f"-{i}") for i, (d, f, *_) in
       ((sum(1 for c in CASES[:j] if c[:2] == CASES[j][:2]), CASES[j]) for j in
        range(len(CASES)))]


def _ours(d, f):
    return getattr(getattr(st, d), f)


def _along(f, args, argnums):
    return along(f, args, argnums, as_float=True)


def _scipy(d, f, args):
    ref = getattr(getattr(ss, d), f)
    if d == "multinomial":
        x = np.asarray(args[0])
        return np.array([ref(xi, *args[1:]) for xi in x.reshape(-1, x.shape[-1])]
                        ).reshape(x.shape[:-1])
    return ref(*args)


@pytest.mark.parametrize("d,f,args,argnums", CASES, ids=IDS)
def test_values_match_scipy(d, f, args, argnums):
    rtol = 1e-10 if (d, f) == ("truncnorm", "ppf") else 1e-12
    np.testing.assert_allclose(_ours(d, f)(*args), _scipy(d, f, args), rtol=rtol, atol=1e-14)


def _jax_has(d, f, args):
    """JAX's function with this signature (its vonmises and gennorm take no loc, scale; its
    multinomial checks sum(x) == n over the whole array, so one point at a time)."""
    fn = getattr(getattr(jss, d, None), f, None)
    if fn is None or f in ("pdf", "pmf"):
        return False
    if d in ("vonmises", "gennorm", "wrapcauchy"):
        return len(args) == 2
    return d != "multinomial" or np.ndim(args[0]) == 1


# truncnorm's other regimes (the tails, an infinite bound) against JAX only once each: JAX
# compiles the gradient of its cdf in ~2.5 s (check_grads covers every regime)
JAX_CASES = [(c, i) for c, i in zip(CASES, IDS) if _jax_has(*c[:3])
             and not (c[0] == "truncnorm" and i[-2:] in ("-2", "-3"))]


# jax.grad fails on these (their xlogy(-1, ·) has an integer argument: a float0 tangent);
# the oracle is then the same closed form in jax.numpy
_jnp = jax.numpy
JAX_FORMULA = {
    ("gumbel_r", "logpdf"): lambda x, loc, scale: (-(x - loc) / scale
                                                   - _jnp.exp(-(x - loc) / scale)
                                                   - _jnp.log(scale)),
    ("gumbel_l", "logpdf"): lambda x, loc, scale: ((x - loc) / scale
                                                   - _jnp.exp((x - loc) / scale)
                                                   - _jnp.log(scale)),
    ("gumbel_r", "ppf"): lambda q, loc, scale: loc - scale * _jnp.log(-_jnp.log(q)),
    ("gumbel_l", "ppf"): lambda q, loc, scale: loc + scale * _jnp.log(-_jnp.log1p(-q)),
}


def _jax_fn(d, f, args):
    if (d, f) in JAX_FORMULA:
        return JAX_FORMULA[d, f], args
    if d == "multinomial":      # JAX takes integer counts only
        return getattr(jss, d).logpmf, (np.asarray(args[0], int), int(args[1]), args[2])
    return getattr(getattr(jss, d), f), args


@pytest.mark.parametrize("d,f,args,argnums", [c for c, _ in JAX_CASES],
                         ids=[i for _, i in JAX_CASES])
def test_gradients_match_jax(d, f, args, argnums):
    g, diff = _along(_ours(d, f), args, argnums)
    jf, jargs = _jax_fn(d, f, args)
    jg, _ = _along(jf, jargs, argnums)
    out = g(*diff)
    w = np.linspace(0.5, 1.5, np.size(out)).reshape(np.shape(out))
    nums = tuple(range(len(diff)))
    ours = lt.grad(lambda *a: lnp.sum(g(*a) * w), argnums=nums)(*diff)
    # jitted: JAX runs truncnorm's cdf op by op in ~8 s
    theirs = jax.jit(jax.grad(lambda *a: jax.numpy.sum(jg(*a) * w), argnums=nums))(*diff)
    np.testing.assert_allclose(out, jax.jit(jg)(*diff), rtol=1e-10, atol=1e-14)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("d,f,args,argnums", CASES, ids=IDS)
def test_check_grads_order_2(d, f, args, argnums):
    g, diff = _along(_ours(d, f), args, argnums)
    check_grads(g, diff, order=2, eps=1e-5, rtol=2e-5, atol=1e-7)


STAGED = [(c, i) for c, i in zip(CASES, IDS) if c[1] in ("logpdf", "logpmf", "cdf", "ppf")]


@pytest.mark.parametrize("d,f,args,argnums", [c for c, _ in STAGED],
                         ids=[i for _, i in STAGED])
def test_eager_equals_staged_and_vmap(d, f, args, argnums):
    fn = _ours(d, f)
    check_staged(fn, args)
    g, diff = _along(fn, args, argnums)
    check_staged(lt.grad(lambda *a: lnp.sum(g(*a)), argnums=tuple(range(len(diff)))), diff)
    x = np.asarray(args[0])
    if x.ndim and d != "multinomial" or x.ndim == 2:
        rest = args[1:]
        batched = lt.vmap(lambda xi: fn(xi, *rest))(x)
        rows = [fn(xi, *rest) for xi in x]
        np.testing.assert_allclose(batched, np.stack(rows), rtol=1e-13)


def test_nbinom_cdf_n_derivative():
    """First order in n (through betainc's shape derivative; JAX has no nbinom.cdf)."""
    for f in (st.nbinom.cdf, st.nbinom.sf, st.nbinom.logcdf, st.nbinom.logsf):
        check_grads(lambda n, f=f: f(K, n, 0.4), (np.array([0.8, 2.5, 4.0]),), order=1)


F32 = [("geom", "logpmf", (K + 1, 0.3)), ("nbinom", "cdf", (K, 2.5, 0.4)),
       ("betabinom", "logpmf", (K, 5.0, 1.5, 2.5)), ("gumbel_r", "logsf", (X, 0.1, 1.2)),
       ("gumbel_l", "ppf", (U, 0.1, 1.2)), ("pareto", "logcdf", (X + 3, 2.0)),
       ("vonmises", "logpdf", (X, 2.0)), ("wrapcauchy", "cdf", (XW, 0.3)),
       ("truncnorm", "logcdf", (X, -1.0, 2.0)), ("truncnorm", "ppf", (U, -1.0, 2.0)),
       ("gennorm", "cdf", (X, 1.5)),
       ("multinomial", "logpmf", (np.array([1.0, 2.0, 0.0]), 3.0, np.array([0.2, 0.3, 0.5])))]


@pytest.mark.parametrize("d,f,args", F32, ids=[f"{d}.{f}" for d, f, _ in F32])
def test_float32_stays_float32(d, f, args):
    args32 = tuple(np.asarray(a, np.float32) for a in args)
    out = _ours(d, f)(*args32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _scipy(d, f, args), rtol=2e-5, atol=1e-6)


KE = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 5.0])
XE = np.array([-3.0, -0.5, 0.0, 0.4, 1.5, 4.0, 7.0])
QE = np.array([0.0, 0.01, 0.3, 0.8, 0.999, 1.0])
PE = np.array([[0.0], [0.2], [0.7], [1.0], [1.3]])
EDGES = (
    [("geom", f, (KE, PE)) for f in DISCRETE]
    + [("nbinom", f, (KE, np.array([[2.5], [0.0], [-1.0]]), 0.4)) for f in DISCRETE]
    + [("nbinom", f, (KE, 2.5, PE)) for f in DISCRETE]
    + [("betabinom", f, (KE, np.array([[3.0], [5.0]]), np.array([[1.5], [0.0]]), 0.7))
       for f in ["logpmf", "pmf"]]
    + [(d, f, (XE, 0.3, 1.7)) for d in ("gumbel_r", "gumbel_l") for f in CONTINUOUS]
    + [(d, f, (QE, 0.3, 1.7)) for d in ("gumbel_r", "gumbel_l") for f in ["ppf", "isf"]]
    + [("pareto", f, (XE, np.array([[0.5], [2.0], [-1.0]]), 0.2, 1.3)) for f in CONTINUOUS]
    + [("pareto", f, (QE, np.array([[0.5], [2.0], [-1.0]]), 0.2, 1.3))
       for f in ["ppf", "isf"]]
    + [("vonmises", f, (XE, np.array([[0.0], [0.5], [800.0], [-1.0]]), 0.2, 1.1))
       for f in ["logpdf", "pdf"]]
    + [("wrapcauchy", f, (np.array([-1.0, 0.0, 0.5, np.pi, 6.0, 2 * np.pi, 7.0]),
                          np.array([[0.01], [0.9], [0.0], [1.2]]))) for f in
       ["logpdf", "pdf", "cdf", "sf"]]
    + [("wrapcauchy", "ppf", (QE, np.array([[0.01], [0.9], [0.0], [1.2]])))]
    + [("gennorm", f, (XE, np.array([[0.5], [1.0], [5.0], [-1.0]]), 0.1, 1.2))
       for f in ["logpdf", "pdf", "cdf", "sf"]]
    + [("truncnorm", f, (XE, a, b, 0.2, 1.1)) for a, b in
       [(-1.0, 2.0), (-np.inf, 0.3), (1.0, np.inf), (-8.0, -6.0), (6.0, 9.0), (2.0, 1.0)]
       for f in CONTINUOUS + ["ppf"]]
    + [("truncnorm", "ppf", (QE, a, b, 0.2, 1.1)) for a, b in
       [(-1.0, 2.0), (-np.inf, 0.3), (1.0, np.inf), (-8.0, -6.0), (6.0, 9.0), (2.0, 1.0)]]
    + [("multinomial", f, (np.array([[1, 2, 0], [1, 1.5, 0.5], [1, 1, 0], [3, 0, 0],
                                     [-1, 4, 0]], float), 3.0, [0.2, 0.3, 0.5]))
       for f in ["logpmf", "pmf"]])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("d,f,args", EDGES, ids=[f"{d}.{f}" for d, f, _ in EDGES])
def test_support_and_parameter_edges_match_scipy(d, f, args):
    """-inf logpdf / 0 pdf outside the support, the cdf's 0 and 1, NaN for invalid
    parameters, the quantiles at 0 and 1: all as SciPy."""
    rtol = 1e-10 if (d, f) == ("truncnorm", "ppf") else 1e-11
    np.testing.assert_allclose(_ours(d, f)(*args), _scipy(d, f, args), rtol=rtol, atol=1e-14)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_finite_gradients_outside_the_support():
    cases = [(st.geom.logpmf, (KE, 0.3), 1), (st.nbinom.logpmf, (KE, 2.5, 0.4), 2),
             (st.betabinom.logpmf, (KE, 3.0, 1.5, 0.7), 2), (st.pareto.logpdf, (XE, 2.0), 1),
             (st.pareto.logcdf, (XE, 2.0), 1), (st.wrapcauchy.logpdf, (XE, 0.3), 1),
             (st.wrapcauchy.cdf, (XE, 0.3), 1), (st.truncnorm.logpdf, (XE, -1.0, 2.0), 1),
             (st.truncnorm.logcdf, (XE, -1.0, 2.0), 2), (st.truncnorm.logsf, (XE, 1.0, 2.0), 1),
             (st.gennorm.cdf, (np.array([-1.0, 0.0, 2.0]), 1.5), 1)]
    for f, args, i in cases:
        def finite_part(v, f=f, args=args, i=i):
            full = list(args)
            full[i] = v
            out = f(*full)
            return lnp.sum(lnp.where(lnp.isfinite(out), out, 0.0))
        assert np.all(np.isfinite(lt.grad(finite_part)(float(args[i])))), f


def test_truncnorm_far_tails_keep_their_accuracy():
    x = np.array([30.5, 31.0, 35.0])
    for f in ("logpdf", "logcdf", "logsf"):
        np.testing.assert_allclose(getattr(st.truncnorm, f)(x, 30.0, 40.0),
                                   getattr(ss.truncnorm, f)(x, 30.0, 40.0), rtol=1e-9)
        np.testing.assert_allclose(getattr(st.truncnorm, f)(-x, -40.0, -30.0),
                                   getattr(ss.truncnorm, f)(-x, -40.0, -30.0), rtol=1e-9)
