"""JAX as the oracle of the linear-algebra tests: the same values, and the same gradient of a
scalar summary, as JAX on the same function (shared by test_linalg*, test_scipy_linalg)."""

import jax
import jax.numpy as jnp
import numpy as np

import lintra as lt
import lintra.numpy as lnp


def rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def close(a, b, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def check_vs_jax(f, jf, args, rtol=1e-7, atol=1e-8):
    """Same values, and the same gradient of a scalar summary, as JAX on the same function."""
    out = f(*args)
    for o, j in zip(lt.tree_leaves(out), jax.tree_util.tree_leaves(jf(*args)), strict=True):
        close(o, j, rtol, atol)
    w = [rand(7, *np.shape(o)) for o in lt.tree_leaves(out)]
    argnums = tuple(range(len(args)))

    def ls(*a):
        return sum(lnp.sum(lnp.sin(o) * wi) for o, wi in zip(lt.tree_leaves(f(*a)), w))

    def js(*a):
        return sum(jnp.sum(jnp.sin(o) * wi)
                   for o, wi in zip(jax.tree_util.tree_leaves(jf(*a)), w))

    for a, b in zip(lt.grad(ls, argnums)(*args), jax.grad(js, argnums)(*args)):
        close(a, b, rtol, atol)
