"""Quadratures: how integrals over a function's domain are computed (design §7).

Integration is numerical and explicit: ``integrate`` takes a ``Quadrature`` (or finds one
attached to the function's domain) and never guesses one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import numpy as lnp
from ..core.avals import DEFAULT_FLOAT, ShapedArray
from ..core.pytree import tree_map
from ..vmap import vmap


class Quadrature:
    """Nodes and weights: ``∫ f ≈ Σ_i weights[i] · f(nodes[i])``.

    ``nodes`` has shape (N,) for functions of a scalar, (N, d) for functions of a vector
    of d coordinates (signature ``"(d)->..."``), or (N, *shape) for any point shape.
    ``factors`` holds the one-dimensional rules of a tensor-product rule (``product``), so
    one coordinate can be integrated out alone."""

    def __init__(self, nodes, weights, domain: tuple | None = None,
                 factors: tuple[Quadrature, ...] = ()):
        nodes = np.asarray(nodes)
        weights = np.asarray(weights)
        if nodes.dtype.kind not in "f":
            nodes = nodes.astype(DEFAULT_FLOAT)
        if weights.ndim != 1 or nodes.ndim < 1 or nodes.shape[0] != weights.shape[0]:
            raise ValueError(f"Quadrature: nodes of shape (N, *point_shape) and weights of "
                             f"shape (N,) are needed, got {nodes.shape} and {weights.shape}")
        self.nodes = nodes
        self.weights = weights.astype(nodes.dtype)
        self.domain = domain
        self.factors = tuple(factors)
        self._as: dict = {}                 # astype's results: one object per dtype
        nodes.flags.writeable = False
        self.weights.flags.writeable = False

    @property
    def arg_aval(self) -> ShapedArray:
        """The type of one point of the domain."""
        return ShapedArray(self.nodes.shape[1:], self.nodes.dtype)

    def __len__(self) -> int:
        return self.weights.shape[0]

    def astype(self, dtype) -> Quadrature:
        dtype = np.dtype(dtype)
        if dtype == self.nodes.dtype:
            return self
        if dtype not in self._as:
            self._as[dtype] = Quadrature(self.nodes.astype(dtype), self.weights.astype(dtype),
                                         self.domain, tuple(f.astype(dtype)
                                                            for f in self.factors))
        return self._as[dtype]

    def __repr__(self) -> str:
        where = f" on {self.domain}" if self.domain is not None else ""
        return f"Quadrature({len(self)} nodes of {self.arg_aval.str_short()}{where})"


def gauss_legendre(a: float, b: float, n: int = 32) -> Quadrature:
    """The n-point Gauss–Legendre rule on [a, b] (exact for polynomials of degree 2n − 1)."""
    x, w = np.polynomial.legendre.leggauss(int(n))
    half = 0.5 * (b - a)
    return Quadrature(half * x + 0.5 * (a + b), half * w, (float(a), float(b)))


def uniform(a: float, b: float, n: int, endpoint: bool = False) -> Quadrature:
    """``n`` equally spaced nodes with equal weights (b − a)/n — the grid of AutoFD's
    examples (``linspace`` with weights 1/n); ``endpoint=False`` gives the midpoint rule."""
    if endpoint:
        x = np.linspace(a, b, n)
    else:
        h = (b - a) / n
        x = a + h * (np.arange(n) + 0.5)
    return Quadrature(x, np.full(n, (b - a) / n), (float(a), float(b)))


def trapezoid(a: float, b: float, n: int) -> Quadrature:
    """The composite trapezoid rule with ``n`` nodes (endpoints included)."""
    x = np.linspace(a, b, n)
    w = np.full(n, (b - a) / (n - 1))
    w[0] = w[-1] = 0.5 * (b - a) / (n - 1)
    return Quadrature(x, w, (float(a), float(b)))


def _as_vector_nodes(q: Quadrature) -> np.ndarray:
    return q.nodes[:, None] if q.nodes.ndim == 1 else q.nodes


def product(*quads: Quadrature) -> Quadrature:
    """The tensor-product rule: nodes of shape (N1·N2·…, d1 + d2 + …), weights multiplied.
    ``product(q, q)`` integrates functions with signature ``"(2)->()"``."""
    if not quads:
        raise ValueError("product needs at least one quadrature")
    factors = []
    for q in quads:
        factors.extend(q.factors if q.factors else [q])
    nodes = _as_vector_nodes(factors[0])
    weights = factors[0].weights
    for q in factors[1:]:
        qn = _as_vector_nodes(q)
        n1, n2 = nodes.shape[0], qn.shape[0]
        nodes = np.concatenate([np.repeat(nodes, n2, axis=0), np.tile(qn, (n1, 1))], axis=1)
        weights = np.outer(weights, q.weights).reshape(-1)
    domain = tuple(q.domain for q in factors)
    return Quadrature(nodes, weights, domain, tuple(factors))


def as_quadratures(quad, n: int, who: str) -> tuple:
    """One quadrature per integrated argument: a single rule is used for each."""
    if quad is None:
        return (None,) * n
    if isinstance(quad, Quadrature):
        return (quad,) * n
    if isinstance(quad, Sequence) and all(isinstance(q, Quadrature) for q in quad):
        if len(quad) != n:
            raise ValueError(f"{who}: {len(quad)} quadratures for {n} integrated arguments")
        return tuple(quad)
    raise TypeError(f"{who}: expected a lintra.functional.Quadrature (or one per integrated "
                    f"argument), got {type(quad).__name__}")


def quadrature_sum(fun, n: int, argnums: tuple, quads: tuple, rest: tuple):
    """``Σ_i w_i fun(x)`` over the nodes of each integrated argument (a tensor product),
    the other arguments fixed at ``rest``: one vmap per integrated argument."""
    def at(*integrated):
        full, it, jt = [], iter(integrated), iter(rest)
        for k in range(n):
            full.append(next(it) if k in argnums else next(jt))
        return fun(*full)

    def over(level: int, fixed: tuple):
        if level == len(argnums):
            return at(*fixed)
        q = quads[level]
        vals = vmap(lambda x: over(level + 1, fixed + (x,)))(q.nodes)
        return tree_map(lambda v: lnp.tensordot(q.weights, v, axes=1), vals)
    return over(0, ())
