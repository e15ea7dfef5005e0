"""Numerical checks used by every test (HIPS autograd's ``check_grads``, design §10).

- ``check_jvp``: forward mode against central finite differences;
- ``check_vjp``: the dot-product test ⟨ct, J·t⟩ = ⟨Jᵀ·ct, t⟩ (J·t from jvp, Jᵀ·ct from vjp);
- ``check_grads``: both, recursively to ``order`` (derivatives of derivatives);
- ``check_staged``: eager == jit (staged, interpreted) on the same program;
- ``along``: a function of some of its arguments, the others fixed (what the checks vary).

Complex leaves are perturbed along random complex directions (real and imaginary parts both
move), and the dot-product test pairs values as Re(sum(a * b)), the pairing under which JAX's
(and lintra's) transposes are transposes (see ``ops/complex.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .api import jvp, vjp
from .core.pytree import flatten, unflatten
from .jit import jit


def _leaves(x) -> list[np.ndarray]:
    return [np.asarray(v) for v in flatten(x)[0]]


def _wide(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.complex128) if a.dtype.kind == "c" else a.astype(np.float64)


def _inner(xs, ys) -> float:
    return float(sum(np.real(np.sum(_wide(a) * _wide(b)))
                     for a, b in zip(_leaves(xs), _leaves(ys))))


def _rand_like(x, rng: np.random.Generator):
    leaves, tree = flatten(x)
    out = []
    for v in leaves:
        a = np.asarray(v)
        if a.dtype.kind == "f":
            out.append(rng.standard_normal(a.shape).astype(a.dtype))
        elif a.dtype.kind == "c":
            out.append((rng.standard_normal(a.shape) + 1j * rng.standard_normal(a.shape))
                       .astype(a.dtype))
        else:
            out.append(None)
    return unflatten(tree, out)


def _axpy(a: float, t, x):
    """x + a*t over pytrees (None tangents leave the leaf as is)."""
    xl, tree = flatten(x)
    tl = flatten(t)[0]
    return unflatten(tree, [v if d is None else np.asarray(v) + a * np.asarray(d)
                            for v, d in zip(xl, tl)])


def _assert_close(a, b, rtol: float, atol: float, what: str):
    for i, (x, y) in enumerate(zip(_leaves(a), _leaves(b))):
        if x.shape != y.shape:
            raise AssertionError(f"{what}: leaf {i} shapes differ: {x.shape} vs {y.shape}")
        if not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            err = np.max(np.abs(_wide(x) - _wide(y)))
            raise AssertionError(f"{what}: leaf {i} differs (max abs err {err:.3g})\n"
                                 f"  got      {x}\n  expected {y}")


def along(f: Callable, args: Sequence, argnums: Sequence[int], as_float: bool = False
          ) -> tuple[Callable, tuple]:
    """``f`` as a function of the arguments at ``argnums`` (the others fixed at ``args``),
    and those arguments (``as_float``: as float arrays, for integer-valued ones)."""
    def g(*diff):
        full = list(args)
        for i, v in zip(argnums, diff):
            full[i] = v
        return f(*full)
    return g, tuple(np.asarray(args[i], float) if as_float else args[i] for i in argnums)


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence, eps: float = 1e-6):
    """Central difference (f(x + eps t) - f(x - eps t)) / 2 eps."""
    plus = f(*_axpy(eps, tangents, tuple(args)))
    minus = f(*_axpy(-eps, tangents, tuple(args)))
    pl, tree = flatten(plus)
    ml = flatten(minus)[0]
    return unflatten(tree, [(_wide(p) - _wide(m)) / (2 * eps) for p, m in zip(pl, ml)])


def check_jvp(f: Callable, args: Sequence, *, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-6, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    tangents = _rand_like(tuple(args), rng)
    _, t_out = jvp(f, tuple(args), tangents)
    expected = numerical_jvp(f, args, tangents, eps)
    _assert_close(t_out, expected, rtol, atol, "jvp vs finite differences")


def check_vjp(f: Callable, args: Sequence, *, rtol: float = 1e-6, atol: float = 1e-8,
              seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    tangents = _rand_like(tuple(args), rng)
    out, t_out = jvp(f, tuple(args), tangents)
    out2, f_vjp = vjp(f, *args)
    # eager scalar code uses libm, NumPy its own kernels: equal to an ulp or so of O(1) values
    _assert_close(out, out2, 1e-12, 1e-15, "vjp primal output vs jvp primal output")
    ct = _rand_like(out, rng)
    ct = unflatten(flatten(ct)[1], [np.zeros_like(np.asarray(o)) if c is None else c
                                    for c, o in zip(flatten(ct)[0], flatten(out)[0])])
    ct_in = f_vjp(ct)
    lhs = _inner(ct, t_out)
    t_leaves = [np.zeros(np.shape(v)) if d is None else d
                for d, v in zip(flatten(tangents)[0], flatten(tuple(args))[0])]
    rhs = _inner(ct_in, t_leaves)
    if not np.isclose(lhs, rhs, rtol=rtol, atol=atol):
        raise AssertionError(f"dot-product test failed: <ct, J t> = {lhs!r} but "
                             f"<J^T ct, t> = {rhs!r}")


def check_grads(f: Callable, args: Sequence, order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), *, eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Check forward and reverse derivatives of ``f`` at ``args`` up to ``order``."""
    args = tuple(args)
    if "fwd" in modes:
        check_jvp(f, args, eps=eps, rtol=rtol, atol=atol)
        if order > 1:
            rng = np.random.default_rng(2)
            t = _rand_like(args, rng)
            check_grads(lambda *a: jvp(f, a, t)[1], args, order - 1, ("fwd",), eps=eps,
                        rtol=rtol, atol=atol)
    if "rev" in modes:
        check_vjp(f, args)
        if order > 1:
            rng = np.random.default_rng(3)
            ct = _rand_like(f(*args), rng)
            ct = unflatten(flatten(ct)[1], [np.zeros_like(np.asarray(o)) if c is None else c
                                            for c, o in zip(flatten(ct)[0],
                                                            flatten(f(*args))[0])])
            check_grads(lambda *a: vjp(f, *a)[1](ct), args, order - 1, ("fwd", "rev"),
                        eps=eps, rtol=rtol, atol=atol)


def check_staged(f: Callable, args: Sequence, *, rtol: float = 1e-12, atol: float = 1e-12
                 ) -> None:
    """The same program gives the same result eagerly and staged (jit on the interpreter)."""
    _assert_close(jit(f)(*args), f(*args), rtol, atol, "jit vs eager")
