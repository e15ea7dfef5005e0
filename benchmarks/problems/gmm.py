"""``gmm`` (ADBench): the log-posterior of a Gaussian mixture with a Wishart prior on the
inverse covariances, and its gradient with respect to (alphas, means, icf).

Q_k is lower triangular with diagonal exp(icf[k, :D]) and strict lower part icf[k, D:] filled
column by column; the lower parts are gathered with one index map (no scatter), and the
N x K quadratic forms are batched matrix products."""

from __future__ import annotations

import math

import numpy as np

from .base import Impl, Problem, fd_gradient, logsumexp, rng_for


def lower_index(D: int) -> np.ndarray:
    """idx[i*D + j] = 1 + (position of L[i, j] in icf[k, D:]) below the diagonal, else 0."""
    idx = np.zeros((D, D), np.int64)
    pos = 1
    for j in range(D):
        for i in range(j + 1, D):
            idx[i, j] = pos
            pos += 1
    return idx.reshape(-1)


def log_multigamma(a: float, p: int) -> float:
    return p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a + (1 - j) / 2)
                                                    for j in range(1, p + 1))


def constant(N: int, K: int, D: int, gamma: float, m: int) -> float:
    """The terms that depend on no argument: -N D/2 log 2 pi - K C (the Wishart normalizer)."""
    n = D + m + 1
    C = n * D * (math.log(gamma) - 0.5 * math.log(2)) - log_multigamma(0.5 * n, D)
    return -N * D / 2 * math.log(2 * math.pi) - K * C


def gmm_np(t, alphas, means, icf, x, gamma, m, idx, const):
    np_ = t.np
    K, D = means.shape
    N = x.shape[0]
    qd = icf[:, :D]
    Qdiags = np_.exp(qd)
    sum_qs = np_.sum(qd, axis=1)
    Lpad = np_.concatenate([np_.zeros((K, 1)), icf[:, D:]], axis=1)
    Ls = np_.reshape(Lpad[:, idx], (K, D, D))
    xc = x[None, :, :] - means[:, None, :]                                  # K, N, D
    Qx = Qdiags[:, None, :] * xc + np_.matmul(xc, np_.swapaxes(Ls, 1, 2))  # K, N, D
    main = (alphas + sum_qs)[:, None] - 0.5 * np_.sum(Qx * Qx, axis=2)     # K, N
    slse = np_.sum(logsumexp(t, main, axis=0))
    prior = (0.5 * gamma * gamma * (np_.sum(Qdiags * Qdiags) + np_.sum(icf[:, D:] ** 2))
             - m * np_.sum(sum_qs))
    return const + slse - N * logsumexp(t, alphas, axis=0) + prior


def gmm_torch(torch, alphas, means, icf, x, gamma, m, idx, const):
    K, D = means.shape
    N = x.shape[0]
    qd = icf[:, :D]
    Qdiags = torch.exp(qd)
    sum_qs = torch.sum(qd, dim=1)
    Lpad = torch.cat([torch.zeros((K, 1)), icf[:, D:]], dim=1)
    Ls = Lpad[:, idx].reshape(K, D, D)
    xc = x[None, :, :] - means[:, None, :]
    Qx = Qdiags[:, None, :] * xc + torch.matmul(xc, Ls.transpose(1, 2))
    main = (alphas + sum_qs)[:, None] - 0.5 * torch.sum(Qx * Qx, dim=2)
    slse = torch.sum(torch.logsumexp(main, dim=0))
    prior = (0.5 * gamma * gamma * (torch.sum(Qdiags * Qdiags) + torch.sum(icf[:, D:] ** 2))
             - m * torch.sum(sum_qs))
    return const + slse - N * torch.logsumexp(alphas, dim=0) + prior


def inputs(params):
    D, K, N = params["D"], params["K"], params["N"]
    rng = rng_for("gmm", params)
    alphas = rng.standard_normal(K)
    means = rng.uniform(-1.0, 1.0, (K, D))
    icf = np.concatenate([0.5 * rng.standard_normal((K, D)),
                          0.3 * rng.standard_normal((K, D * (D - 1) // 2))], axis=1)
    x = rng.standard_normal((N, D))
    return alphas, means, icf, x


GAMMA, M = 1.0, 0


def build(tool, params, variant) -> Impl:
    D, K, N = params["D"], params["K"], params["N"]
    idx = lower_index(D)
    const = constant(N, K, D, GAMMA, M)
    if tool.family == "torch":
        tidx = tool.asarray(idx)
        f = lambda a, mu, q, x: gmm_torch(tool.torch, a, mu, q, x, GAMMA, M, tidx, const)
    else:
        f = lambda a, mu, q, x: gmm_np(tool, a, mu, q, x, GAMMA, M, idx, const)
    return Impl(tool.jit(f), tool.jit(tool.grad(f, (0, 1, 2))))


PROBLEMS = [Problem(
    name="gmm",
    title="Gaussian mixture log-posterior with a Wishart prior",
    sizes={"tiny": {"D": 4, "K": 3, "N": 5}, "default": {"D": 10, "K": 25, "N": 1000},
           "large": {"D": 20, "K": 50, "N": 10000}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_gradient((0, 1, 2)),
)]
