"""Taylor-mode (``jet``) rules of the nonlinear elementwise families.

Normalized coefficients (aₖ = x⁽ᵏ⁾/k!). Each rule is the recurrence that the function's
ODE gives: y = exp(x) has y' = y·x', so k·yₖ = Σⱼ j·xⱼ·y_{k−j}; the others likewise. Linear
and bilinear primitives need no rule (ad/jet.py derives them); the rest fall back to nested
JVPs.
"""

from __future__ import annotations

from ..ad.jet import coefficient, jet_rules
from . import elementwise as E

_mul, _add, _sub, _div = E.mul, E.add, E.sub, E.div


def _coeffs(x, s: list) -> list:
    return [coefficient(x, s, k) for k in range(len(s) + 1)]


def _ode(y0, xs: list, rate):
    """Coefficients of y with y' = rate(y…)·x': k·yₖ = Σⱼ j·xⱼ·r_{k−j}, where ``rate(ys, m)``
    gives the m-th coefficient of the rate from y₀…y_m."""
    ys = [y0]
    for k in range(1, len(xs)):
        acc = None
        for j in range(1, k + 1):
            term = _mul(float(j) * xs[j], rate(ys, k - j))
            acc = term if acc is None else _add(acc, term)
        ys.append(_mul(acc, 1.0 / k))
    return ys


def _exp(primals, series):
    xs = _coeffs(primals[0], series[0])
    ys = _ode(E.exp(xs[0]), xs, lambda ys, m: ys[m])
    return ys[0], ys[1:]


def _tanh(primals, series):          # y' = (1 − y²) x'
    xs = _coeffs(primals[0], series[0])

    def rate(ys, m):
        sq = None
        for i in range(m + 1):
            t = _mul(ys[i], ys[m - i])
            sq = t if sq is None else _add(sq, t)
        return _sub(1.0, sq) if m == 0 else E.neg(sq)
    ys = _ode(E.tanh(xs[0]), xs, rate)
    return ys[0], ys[1:]


def _logistic(primals, series):      # y' = y (1 − y) x'
    xs = _coeffs(primals[0], series[0])

    def rate(ys, m):
        sq = None
        for i in range(m + 1):
            t = _mul(ys[i], ys[m - i])
            sq = t if sq is None else _add(sq, t)
        return _sub(ys[m], sq)
    ys = _ode(E.logistic(xs[0]), xs, rate)
    return ys[0], ys[1:]


def _sin_cos(x, s):
    """Both series at once: s' = c·x', c' = −s·x'."""
    xs = _coeffs(x, s)
    ss, cs = [E.sin(xs[0])], [E.cos(xs[0])]
    for k in range(1, len(xs)):
        sk = ck = None
        for j in range(1, k + 1):
            a = _mul(float(j) * xs[j], cs[k - j])
            b = _mul(float(j) * xs[j], ss[k - j])
            sk = a if sk is None else _add(sk, a)
            ck = b if ck is None else _add(ck, b)
        ss.append(_mul(sk, 1.0 / k))
        cs.append(_mul(ck, -1.0 / k))
    return ss, cs


def _sin(primals, series):
    ss, _ = _sin_cos(primals[0], series[0])
    return ss[0], ss[1:]


def _cos(primals, series):
    _, cs = _sin_cos(primals[0], series[0])
    return cs[0], cs[1:]


def _reciprocal_series(bs: list, numerator: list) -> list:
    """c = a / b: c_k = (a_k − Σ_{j≥1} b_j c_{k−j}) / b₀."""
    cs = []
    for k in range(len(bs)):
        acc = numerator[k]
        for j in range(1, k + 1):
            acc = _sub(acc, _mul(bs[j], cs[k - j]))
        cs.append(_div(acc, bs[0]))
    return cs


def _div_rule(primals, series):
    a, b = primals
    n = max(len(series[0]), len(series[1]))
    num = _coeffs(a, series[0] or [None] * n)
    den = _coeffs(b, series[1] or [None] * n)
    cs = _reciprocal_series(den, num)
    return cs[0], cs[1:]


def _log(primals, series):           # x·y' = x' → y_k = (x_k − Σ_{1≤j<k} (j/k) y_j x_{k−j}) / x₀
    xs = _coeffs(primals[0], series[0])
    ys = [E.log(xs[0])]
    for k in range(1, len(xs)):
        acc = xs[k]
        for j in range(1, k):
            acc = _sub(acc, _mul(float(j) / k * ys[j], xs[k - j]))
        ys.append(_div(acc, xs[0]))
    return ys[0], ys[1:]


def _sqrt(primals, series):          # y² = x → y_k = (x_k − Σ_{1≤j<k} y_j y_{k−j}) / 2y₀
    xs = _coeffs(primals[0], series[0])
    ys = [E.sqrt(xs[0])]
    for k in range(1, len(xs)):
        acc = xs[k]
        for j in range(1, k):
            acc = _sub(acc, _mul(ys[j], ys[k - j]))
        ys.append(_div(acc, _mul(2.0, ys[0])))
    return ys[0], ys[1:]


def _cauchy_mul(xs: list, ys: list) -> list:
    return [_sum([_mul(xs[j], ys[k - j]) for j in range(k + 1)]) for k in range(len(xs))]


def _sum(terms: list):
    acc = terms[0]
    for t in terms[1:]:
        acc = _add(acc, t)
    return acc


def _integer_pow(primals, series, *, n):
    """xⁿ by repeated Cauchy products (exact at x = 0, unlike the recurrence for x^p)."""
    xs = _coeffs(primals[0], series[0])
    base = xs if n >= 0 else _reciprocal_series(xs, [1.0] + [0.0 * c for c in xs[1:]])
    ys, m = None, abs(n)
    while m:
        if m & 1:
            ys = base if ys is None else _cauchy_mul(ys, base)
        m >>= 1
        if m:
            base = _cauchy_mul(base, base)
    if ys is None:                                           # x⁰ = 1
        return E.integer_pow_p.bind(primals[0], n=0), [None] * len(series[0])
    return ys[0], ys[1:]


jet_rules.update({E.exp_p: _exp, E.tanh_p: _tanh, E.logistic_p: _logistic,
                  E.sin_p: _sin, E.cos_p: _cos, E.div_p: _div_rule, E.log_p: _log,
                  E.sqrt_p: _sqrt, E.integer_pow_p: _integer_pow})
