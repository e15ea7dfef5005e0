"""Conveniences other AD libraries have, derived from ``jvp``/``vjp``/``grad``:
``elementwise_grad`` (HIPS autograd), ``hvp`` (Hessian-vector products, forward over
reverse, never forming the Hessian) and ``jacobian`` (``jacrev``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .api import _check_differentiable, _partial_args, grad, jacrev, jvp, vjp
from .core.pytree import flatten, unflatten

jacobian = jacrev


def elementwise_grad(fun: Callable, argnum: int = 0) -> Callable:
    """autograd's ``elementwise_grad``: the vector-Jacobian product of ``fun`` with a
    cotangent of ones, i.e. the sum of the Jacobian's rows. For functions that act
    elementwise (a diagonal Jacobian) that is the derivative of every output element
    with respect to its own input element, e.g. ``elementwise_grad(lnp.tanh)(x)``."""
    @functools.wraps(fun)
    def egrad(*args, **kwargs):
        _check_differentiable(args, (argnum,), "elementwise_grad")
        g, (x,) = _partial_args(fun, args, kwargs, (argnum,))
        out, f_vjp = vjp(g, x)
        leaves, tree = flatten(out)
        ones = unflatten(tree, [np.ones(np.shape(v), np.asarray(v).dtype) for v in leaves])
        return f_vjp(ones)[0]
    return egrad


def hvp(f: Callable, primals: Sequence, tangents: Sequence) -> Any:
    """Hessian of scalar ``f`` at ``primals`` times ``tangents``, as ``jvp(grad(f))``
    (forward over reverse: the cost of a few gradients, no Hessian is formed).

    ``primals`` and ``tangents`` are sequences with one entry per positional argument of
    ``f`` (as in ``jvp``); ``f`` is differentiated in all of them. The result is the
    product for that argument when there is one argument, else a tuple with one entry per
    argument: ``sum_j H[i][j] @ tangents[j]``."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"hvp: {len(primals)} primals but {len(tangents)} tangents")
    if not primals:
        raise ValueError("hvp: at least one primal is needed")
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), primals, tangents)[1]
