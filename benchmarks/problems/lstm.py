"""``lstm`` (ADBench's "diagonal" LSTM): l layers of width b run over a sequence of c steps; the
objective is the mean log-softmax likelihood of each next element; the gradient is with
respect to (main_params (2l x 4b), extra_params (3 x b)).

The time loop is a Python loop in the eager tools and a ``scan`` in the staged ones."""

from __future__ import annotations

from .base import Impl, Problem, fd_gradient, rng_for, sigmoid


def lstm_np(t, main, extra, state, seq):
    np_ = t.np
    l = main.shape[0] // 2
    b = main.shape[1] // 4
    c = seq.shape[0]

    def cell(w, bias, h, cs, x):
        g = np_.concatenate([x, h, x, h]) * w + bias
        f, i, o = sigmoid(t, g[:b]), sigmoid(t, g[b:2 * b]), sigmoid(t, g[2 * b:3 * b])
        cs = cs * f + i * np_.tanh(g[3 * b:])
        return o * np_.tanh(cs), cs

    def step(carry, xy):
        st, total = carry
        x, y = xy
        x2 = x * extra[0]
        rows = []
        for k in range(l):
            h, cs = cell(main[2 * k], main[2 * k + 1], st[2 * k], st[2 * k + 1], x2)
            rows += [h, cs]
            x2 = h
        ypred = x2 * extra[1] + extra[2]
        ynorm = ypred - np_.log(np_.sum(np_.exp(ypred)))
        return (np_.stack(rows), total + np_.sum(y * ynorm)), None

    (_, total), _ = t.scan(step, (state, np_.zeros(())), (seq[:-1], seq[1:]), c - 1)
    return -total / ((c - 1) * b)


def lstm_torch(torch, main, extra, state, seq):
    l = main.shape[0] // 2
    b = main.shape[1] // 4
    c = seq.shape[0]
    hs = [state[k] for k in range(2 * l)]
    total = 0.0
    for t in range(c - 1):
        x2 = seq[t] * extra[0]
        for k in range(l):
            g = torch.cat([x2, hs[2 * k], x2, hs[2 * k]]) * main[2 * k] + main[2 * k + 1]
            f, i, o = torch.sigmoid(g[:b]), torch.sigmoid(g[b:2 * b]), torch.sigmoid(
                g[2 * b:3 * b])
            hs[2 * k + 1] = hs[2 * k + 1] * f + i * torch.tanh(g[3 * b:])
            hs[2 * k] = o * torch.tanh(hs[2 * k + 1])
            x2 = hs[2 * k]
        ypred = x2 * extra[1] + extra[2]
        ynorm = ypred - torch.log(torch.sum(torch.exp(ypred)))
        total = total + torch.sum(seq[t + 1] * ynorm)
    return -total / ((c - 1) * b)


def inputs(params):
    l, c, b = params["l"], params["c"], params["b"]
    rng = rng_for("lstm", params)
    return (rng.uniform(-1, 1, (2 * l, 4 * b)), rng.uniform(-1, 1, (3, b)),
            rng.uniform(-1, 1, (2 * l, b)), rng.uniform(-1, 1, (c, b)))


def build(tool, params, variant) -> Impl:
    if tool.family == "torch":
        f = lambda *a: lstm_torch(tool.torch, *a)
    else:
        f = lambda *a: lstm_np(tool, *a)
    return Impl(tool.jit(f), tool.jit(tool.grad(f, (0, 1))))


PROBLEMS = [Problem(
    name="lstm",
    title="ADBench diagonal LSTM",
    sizes={"tiny": {"l": 2, "c": 4, "b": 3}, "default": {"l": 2, "c": 1024, "b": 14},
           "large": {"l": 4, "c": 4096, "b": 14}},
    default_sizes=("default",),
    inputs=inputs,
    build=build,
    fd_reference=fd_gradient((0, 1)),
)]
