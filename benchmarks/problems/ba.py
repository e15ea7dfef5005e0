"""``ba`` (ADBench bundle adjustment): reprojection residuals of p observations of m points by n
cameras, and their sparse Jacobian.

Camera = (Rodrigues rotation 3, center 3, focal 1, principal point 2, radial distortion 2).
Residuals: w_o (proj_o - feat_o) (2 per observation) and 1 - w_o^2 (1 per observation).
Observation o's two reprojection rows depend only on its camera (11), point (3) and weight
(1): the derivative computes the p dense 2 x 15 blocks, vectorized over observations, with one
linearization and three transposes (cotangent e_0, e_1 on the reprojection rows, then 1 on
the weight rows), and returns the values of the sparse Jacobian in the order of ``pattern``.
"""

from __future__ import annotations

import numpy as np

from ..tools import Mismatch
from .base import Impl, Problem, central_difference, rng_for

NCAM, NPT = 11, 3


def _cross(np_, a, b, stack):
    a0, a1, a2 = a[:, 0], a[:, 1], a[:, 2]
    b0, b1, b2 = b[:, 0], b[:, 1], b[:, 2]
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def reproj_np(t, cam, X, w, feat):
    """Per observation rows: cam (p, 11), X (p, 3), w (p,), feat (p, 2) -> (p, 2)."""
    np_ = t.np
    stack = lambda xs: np_.stack(xs, axis=1)
    sum1 = lambda a: np_.sum(a, axis=1, keepdims=True)
    r, Xo = cam[:, 0:3], X - cam[:, 3:6]
    th2 = sum1(r * r)
    nz = th2 != 0
    th = np_.sqrt(np_.where(nz, th2, 1.0))
    u = r / th
    ct, st = np_.cos(th), np_.sin(th)
    full = Xo * ct + _cross(np_, u, Xo, stack) * st + u * sum1(u * Xo) * (1.0 - ct)
    Xc = np_.where(nz, full, Xo + _cross(np_, r, Xo, stack))
    pr = Xc[:, :2] / Xc[:, 2:3]
    r2 = sum1(pr * pr)
    pr = pr * (1.0 + cam[:, 9:10] * r2 + cam[:, 10:11] * r2 * r2)
    return w[:, None] * (pr * cam[:, 6:7] + cam[:, 7:9] - feat)


def reproj_torch(torch, cam, X, w, feat):
    stack = lambda xs: torch.stack(xs, dim=1)
    sum1 = lambda a: torch.sum(a, dim=1, keepdim=True)
    r, Xo = cam[:, 0:3], X - cam[:, 3:6]
    th2 = sum1(r * r)
    nz = th2 != 0
    th = torch.sqrt(torch.where(nz, th2, 1.0))
    u = r / th
    ct, st = torch.cos(th), torch.sin(th)
    full = Xo * ct + _cross(torch, u, Xo, stack) * st + u * sum1(u * Xo) * (1.0 - ct)
    Xc = torch.where(nz, full, Xo + _cross(torch, r, Xo, stack))
    pr = Xc[:, :2] / Xc[:, 2:3]
    r2 = sum1(pr * pr)
    pr = pr * (1.0 + cam[:, 9:10] * r2 + cam[:, 10:11] * r2 * r2)
    return w[:, None] * (pr * cam[:, 6:7] + cam[:, 7:9] - feat)


def pattern(n: int, m: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the Jacobian's values in the derivative's order; the unknowns are
    [cams.flat (11 n), points.flat (3 m), w (p)], the rows [reprojection (2 p), weights (p)]."""
    p = obs.shape[0]
    cols15 = np.concatenate([obs[:, :1] * NCAM + np.arange(NCAM),
                             n * NCAM + obs[:, 1:2] * NPT + np.arange(NPT),
                             n * NCAM + m * NPT + np.arange(p)[:, None]], axis=1)   # p, 15
    rows = np.concatenate([np.repeat(np.arange(2 * p), 15), 2 * p + np.arange(p)])
    cols = np.concatenate([np.repeat(cols15[:, None, :], 2, axis=1).reshape(-1),
                           n * NCAM + m * NPT + np.arange(p)])
    return rows, cols


def inputs(params):
    n, m, p = params["n"], params["m"], params["p"]
    rng = rng_for("ba", params)
    cams = np.concatenate([
        0.1 * rng.standard_normal((n, 3)),                                  # rotation
        np.array([0.0, 0.0, -8.0]) + 0.5 * rng.standard_normal((n, 3)),     # center
        1.0 + 0.1 * rng.standard_normal((n, 1)),                            # focal
        0.1 * rng.standard_normal((n, 2)),                                  # principal point
        0.01 * rng.standard_normal((n, 2))], axis=1)                        # distortion
    X = rng.standard_normal((m, 3))
    w = rng.uniform(0.5, 1.5, p)
    feats = 0.1 * rng.standard_normal((p, 2))
    obs = np.stack([rng.integers(0, n, p), np.arange(p) % m], axis=1)
    return cams, X, w, feats, obs


def build(tool, params, variant) -> Impl:
    if tool.family == "torch":
        return _build_torch(tool)
    np_ = tool.np

    def residuals(cams, X, w, feats, obs):
        r = reproj_np(tool, cams[obs[:, 0]], X[obs[:, 1]], w, feats)
        return np_.concatenate([np_.reshape(r, (-1,)), 1.0 - w * w])

    def jacobian(cams, X, w, feats, obs):
        f = lambda c, x, ww: (reproj_np(tool, c, x, ww, feats), 1.0 - ww * ww)
        _, f_vjp = tool.vjp(f, cams[obs[:, 0]], X[obs[:, 1]], w)
        one, zero = np_.ones_like(w), np_.zeros_like(w)
        blocks = []
        for ct in (np_.stack([one, zero], axis=1), np_.stack([zero, one], axis=1)):
            dc, dx, dw = f_vjp((ct, zero))
            blocks.append(np_.concatenate([dc, dx, dw[:, None]], axis=1))
        dw = f_vjp((np_.zeros_like(feats), one))[2]
        return np_.concatenate([np_.reshape(np_.stack(blocks, axis=1), (-1,)), dw])

    return Impl(tool.jit(residuals), tool.jit(jacobian))


def _build_torch(tool) -> Impl:
    torch = tool.torch

    def residuals(cams, X, w, feats, obs):
        r = reproj_torch(torch, cams[obs[:, 0]], X[obs[:, 1]], w, feats)
        return torch.cat([r.reshape(-1), 1.0 - w * w])

    def jacobian(cams, X, w, feats, obs):
        c = cams[obs[:, 0]].requires_grad_(True)
        x = X[obs[:, 1]].requires_grad_(True)
        ww = w.detach().requires_grad_(True)
        r, wr = reproj_torch(torch, c, x, ww, feats), 1.0 - ww * ww
        one, zero = torch.ones_like(w), torch.zeros_like(w)
        blocks = []
        for ct in (torch.stack([one, zero], dim=1), torch.stack([zero, one], dim=1)):
            dc, dx, dw = torch.autograd.grad(r, (c, x, ww), ct, retain_graph=True)
            blocks.append(torch.cat([dc, dx, dw[:, None]], dim=1))
        (dw,) = torch.autograd.grad(wr, (ww,), one)
        return torch.cat([torch.stack(blocks, dim=1).reshape(-1), dw])

    return Impl(residuals, jacobian, "torch.autograd.grad, retain_graph")


def fd_reference(primal, args, params, variant):
    """The dense Jacobian by central differences; it must vanish off the sparsity pattern."""
    cams, X, w, feats, obs = args
    n, m = cams.shape[0], X.shape[0]
    sizes = np.cumsum([n * NCAM, m * NPT])

    def f(v):
        c, x, ww = np.split(v, sizes)
        return primal(c.reshape(n, NCAM), x.reshape(m, NPT), ww, feats, obs)

    J = central_difference(f, np.concatenate([cams.ravel(), X.ravel(), w]))
    rows, cols = pattern(n, m, obs)
    off = J.copy()
    off[rows, cols] = 0.0
    if np.max(np.abs(off)) > 1e-6 * np.max(np.abs(J)):
        raise Mismatch("ba: the residuals depend on unknowns outside the sparsity pattern")
    return J[rows, cols]


PROBLEMS = [Problem(
    name="ba",
    title="bundle adjustment: sparse Jacobian of the reprojection residuals",
    sizes={"tiny": {"n": 2, "m": 4, "p": 8}, "default": {"n": 16, "m": 2000, "p": 8000},
           "large": {"n": 49, "m": 7776, "p": 31843}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_reference,
    deriv_desc="sparse Jacobian",
)]
