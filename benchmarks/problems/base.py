"""What a problem is, and the helpers most problems share.

A problem has named sizes (``tiny`` always exists: it is what the tests and the finite-difference
check use), deterministic seeded inputs per size, and ``build(tool, params, variant)`` returning
an ``Impl``: the primal and the derivative of the same math for that tool, both taking the
problem's inputs converted by ``tool.asarray``. ``fd_reference`` computes the derivative by
central finite differences from a primal that runs on NumPy values (lintra eager's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tools import Tool


@dataclass
class Impl:
    primal: Callable
    deriv: Callable
    note: str = ""           # how the derivative is obtained, when it differs between tools


@dataclass
class Problem:
    name: str
    title: str
    sizes: dict[str, dict]
    default_sizes: tuple[str, ...]
    inputs: Callable[[dict], tuple]
    build: Callable[[Tool, dict, str], Impl]
    fd_reference: Callable[[Callable, tuple, dict, str], Any]
    deriv_desc: str = "gradient"
    variants: tuple[str, ...] = ("",)
    rtol: float = 1e-7       # tool vs tool, normwise relative
    fd_rtol: float = 1e-5    # tool vs finite differences, normwise relative
    skip: Callable[[str, dict, str], str | None] = field(default=lambda tool, params, v: None)

    def size_label(self, size: str) -> str:
        p = self.sizes[size]
        return f"{size} (" + ", ".join(f"{k}={v}" for k, v in p.items()
                                       if not k.startswith("_")) + ")"


def rng_for(name: str, params: dict) -> np.random.Generator:
    """A generator seeded from the problem name and size, so inputs never change between runs."""
    key = name + repr(sorted((k, v) for k, v in params.items()))
    return np.random.default_rng([ord(c) for c in key])


def gradient_impl(tool: Tool, f_np: Callable, f_torch: Callable,
                  argnums: int | Sequence[int] = 0) -> Impl:
    """Primal and reverse-mode gradient of a scalar objective: ``f_np(np_module, *args)`` for
    the NumPy-like tools, ``f_torch(torch, *args)`` for PyTorch."""
    if tool.family == "torch":
        f = lambda *a: f_torch(tool.torch, *a)
    else:
        f = lambda *a: f_np(tool, *a)
    return Impl(tool.jit(f), tool.jit(tool.grad(f, argnums)))


def central_difference(f: Callable, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f(x) / d x by central differences: shape f(x).shape + x.shape."""
    x = np.asarray(x, np.float64)
    f0 = np.asarray(f(x), np.float64)
    out = np.zeros(f0.shape + x.shape)
    flat = x.reshape(-1)
    for k in range(flat.size):
        h = eps * max(1.0, abs(flat[k]))
        xp, xm = flat.copy(), flat.copy()
        xp[k] += h
        xm[k] -= h
        d = (np.asarray(f(xp.reshape(x.shape))) - np.asarray(f(xm.reshape(x.shape)))) / (2 * h)
        out[(Ellipsis,) + np.unravel_index(k, x.shape)] = d
    return out


def fd_gradient(argnums: int | Sequence[int] = 0) -> Callable:
    """An ``fd_reference`` for gradient problems: differentiate ``primal`` in each argnum."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def ref(primal, args, params, variant):
        grads = []
        for i in nums:
            def fi(xi, i=i):
                a = list(args)
                a[i] = xi
                return primal(*a)
            grads.append(central_difference(fi, args[i]))
        return grads[0] if isinstance(argnums, int) else tuple(grads)

    return ref


def nested_note(tool: Tool, variant: str) -> str:
    """How a nested variant's derivatives are taken, for the table's notes."""
    if tool.family == "torch":
        return "torch.func.jvp / torch.func.grad"
    if tool.family == "autograd" and "f" in variant:
        return "forward mode: autograd.core.make_jvp"
    return ""


def sigmoid(t: Tool, x):
    """Each tool's own logistic function (HIPS autograd has none: written out)."""
    if t.family == "lintra":
        return t.np.sigmoid(x)
    if t.family == "jax":
        return t.jax.nn.sigmoid(x)
    return 1.0 / (1.0 + t.np.exp(-x))


def logsumexp(t: Tool, a, axis: int | None = None):
    """Each tool's own log-sum-exp."""
    if t.family == "lintra":
        return t.np.logsumexp(a, axis=axis)
    if t.family == "jax":
        return t.jax.scipy.special.logsumexp(a, axis=axis)
    from autograd.scipy.special import logsumexp as ag_lse
    return ag_lse(a, axis=axis)
