"""A boundary-value problem from its variational form, the boundary conditions imposed by
point-evaluation penalties: the functional derivative is a density plus point masses.

    J[y] = ∫₀¹ ½y'² + ½y² dx + (μ/2)·(y(0)² + (y(1) − 1)²),   μ = 10⁴.

Euler–Lagrange: −y'' + y = 0 inside, and the natural conditions −y'(0) + μ·y(0) = 0,
y'(1) + μ·(y(1) − 1) = 0, whose solution is y = A cosh x + B sinh x with B = μA,
A = μ / ((1 + μ²) sinh 1 + 2μ cosh 1); as μ → ∞ it tends to the Dirichlet solution
sinh x / sinh 1 (y(0) = 0, y(1) = 1).

``lintra.grad(J)(y)`` is an ``lf.PointMass``: the density −y'' + y plus atoms at 0 and 1 —
the penalties' μ·y(0)δ₀ and μ·(y(1) − 1)δ₁, and the boundary terms of the integration by
parts, −y'(0)δ₀ + y'(1)δ₁ (``nabla(y, boundary=True)`` keeps them). The stationarity
conditions ⟨δJ/δy, φᵢ⟩ = 0 for a basis of shifted Legendre polynomials (Galerkin; the
pairing with point masses is exact) are linear in the coefficients (J is quadratic): one
solve gives the minimizer, checked against the closed form.
"""

import time

import numpy as np

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp

MU = 1e4
DEGREE = 8
q = lf.gauss_legendre(0.0, 1.0, 32)


def J(y):
    interior = lf.integrate(0.5 * lf.nabla(y, boundary=True) ** 2 + 0.5 * y ** 2, q)
    return interior + 0.5 * MU * (y(0.0) ** 2 + (y(1.0) - 1.0) ** 2)


def legendre(i: int):
    """P_i(2x − 1) by the three-term recurrence."""
    def p(x):
        t = 2 * x - 1
        a, b = lnp.ones_like(t), t
        for k in range(1, i):
            a, b = b, ((2 * k + 1) * t * b - k * a) / (k + 1)
        return a if i == 0 else b
    return lf.function(p, domain=q)


def closed_form(x):
    a = MU / ((1 + MU ** 2) * np.sinh(1.0) + 2 * MU * np.cosh(1.0))
    return a * np.cosh(x) + MU * a * np.sinh(x)


def main() -> None:
    t0 = time.perf_counter()
    basis = [legendre(i) for i in range(DEGREE + 1)]

    def y_of(c):
        return sum((float(ci) * phi for ci, phi in zip(c[1:], basis[1:])), float(c[0]) * basis[0])

    def residual(c):
        """⟨δJ/δy, φᵢ⟩ at y = Σ cⱼ φⱼ (a density plus point masses, paired exactly)."""
        g = lt.grad(J)(y_of(c))
        return np.array([float(lf.braket(g, phi)) for phi in basis]), g

    n = len(basis)
    r0, g0 = residual(np.zeros(n))
    print(f"boundary-value problem: δJ/δy at y = 0 is {g0!r}")
    K = np.stack([residual(e)[0] - r0 for e in np.eye(n)], axis=1)     # J is quadratic
    c = np.linalg.solve(K, -r0)
    y = y_of(c)
    r, g = residual(c)
    print(f"  at the solution: {g!r}")
    x = np.linspace(0.0, 1.0, 11)
    err = np.max(np.abs(np.asarray(y(x)) - closed_form(x)))
    dirichlet = np.max(np.abs(np.asarray(y(x)) - np.sinh(x) / np.sinh(1.0)))
    h = lf.function(lambda x: lnp.cos(3 * x) + x, domain=q)     # the oracle, at y = x²
    y2, c2 = lf.function(lambda x: x ** 2, domain=q), lt.grad(J)(lf.function(lambda x: x ** 2,
                                                                              domain=q))
    fd = (J(y2 + 1e-4 * h) - J(y2 - 1e-4 * h)) / 2e-4
    print(f"  |⟨δJ/δy, φᵢ⟩| ≤ {np.max(np.abs(r)):.1e}; y(0) = {float(y(0.0)):.2e}, y(1) = "
          f"{float(y(1.0)):.6f}; max |y − closed form| = {err:.1e}, |y − sinh x/sinh 1| = "
          f"{dirichlet:.1e} (the penalty's O(1/μ))")
    print(f"  at y = x², along h = cos 3x + x: ⟨δJ/δy, h⟩ = {float(lf.braket(c2, h)):.9g}, "
          f"finite differences {float(fd):.9g}   ({time.perf_counter() - t0:.1f} s)")
    assert isinstance(g0, lf.PointMass) and sorted(np.round(g0.points[0], 12)) == [0.0, 1.0]
    assert err < 1e-8, err
    assert dirichlet < 1e-3, dirichlet
    assert abs(float(lf.braket(c2, h)) - float(fd)) < 1e-7 * abs(float(fd))


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - t:.1f} s")
