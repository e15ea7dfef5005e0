"""``det``: the determinant of an l x l matrix (given row-major, flat) by expansion by minors
along the first row, recursively, on scalars: about e * l! multiply-adds. The gradient is
with respect to the l*l entries. Staged tools unroll the recursion at trace time."""

from __future__ import annotations

from .base import Problem, fd_gradient, gradient_impl, rng_for


def det_scalars(A, l: int):
    """Expansion by minors on the scalars A[i*l + j] (any tool: only indexing, *, +, -)."""
    a = [[A[i * l + j] for j in range(l)] for i in range(l)]

    def minor(row: int, cols: tuple):
        if len(cols) == 1:
            return a[row][cols[0]]
        total = None
        for k, c in enumerate(cols):
            term = a[row][c] * minor(row + 1, cols[:k] + cols[k + 1:])
            if total is None:
                total = term
            elif k % 2:
                total = total - term
            else:
                total = total + term
        return total

    return minor(0, tuple(range(l)))


def inputs(params):
    l = params["l"]
    return (rng_for("det", params).standard_normal(l * l),)


def build(tool, params, variant):
    l = params["l"]
    return gradient_impl(tool, lambda t, A: det_scalars(A, l),
                         lambda torch, A: det_scalars(A, l))


def skip(tool, params, variant):
    if tool in ("jax", "lintra-xla") and params["l"] > 6:
        return "XLA compile time of the unrolled expansion (e * l! scalar operations)"
    return None


PROBLEMS = [Problem(
    name="det",
    title="determinant by expansion by minors",
    sizes={"tiny": {"l": 3}, "default": {"l": 6}, "large": {"l": 8}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_gradient(0),
    skip=skip,
)]
