"""Memoized rule applications under jit (ad/memo.py): a template traced for one signature
must never be replayed where the rule would have done something else."""

import inspect

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.ad import linearize_memo, transpose_memo
from lintra.ad.rules import jvp_rules
from lintra.core.avals import ShapedArray
from lintra.core.primitive import Primitive
from lintra.test_util import check_grads


def _eager_and_staged(f, *args):
    eager = lt.grad(f)(*args)
    staged = lt.jit(lt.grad(f), backend="interpret")(*args)
    return np.asarray(eager), np.asarray(staged)


def test_signed_zero_constants_get_their_own_templates():
    # d/dx (x * c) = c: -0.0 and 0.0 are equal as keys of a dict, not as constants
    for c in (0.0, -0.0, 0.0, -0.0):
        g = lt.jit(lt.grad(lambda x, c=c: x * c), backend="interpret")(1.0)
        assert np.signbit(g) == np.signbit(c)


def test_signed_zero_literals_are_not_shared_by_cse():
    prog = lt.make_program(lambda x: (x * 0.0, x * -0.0))(1.0)
    out = lt.jit(lambda x: (x * 0.0, x * -0.0), backend="interpret")(1.0)
    assert not np.signbit(out[0]) and np.signbit(out[1])
    assert sum(e.prim.name == "mul" for e in prog.eqns) == 2


def test_constant_scalars_and_params_are_part_of_the_signature():
    def f(x):
        return x ** 2 + x ** 3 + 2.0 * x + 3.0 * lnp.sin(x) + x / 4.0 + lnp.sum(x[0] * x)

    x = np.array([0.3, -1.2, 2.0])
    eager, staged = _eager_and_staged(lambda x: lnp.sum(f(x)), x)
    d_sum = np.full(3, x[0])             # d/dx sum(x[0] * x), broadcast over 3 elements
    d_sum[0] += x.sum()
    expected = 2 * x + 3 * x ** 2 + 2.0 + 3.0 * np.cos(x) + 0.25 + 3 * d_sum
    np.testing.assert_allclose(staged, expected, rtol=1e-13)
    np.testing.assert_allclose(eager, expected, rtol=1e-13)


def test_one_template_serves_every_index():
    def loop(x):
        s = 0.0
        for i in range(x.shape[0] - 1):
            s = s + lnp.sin(x[i]) * lnp.cos(x[i + 1]) + x[-1 - i] ** 2
        return s

    x = np.linspace(-1.0, 2.0, 9)
    g = np.zeros_like(x)
    g[:-1] += np.cos(x[:-1]) * np.cos(x[1:])
    g[1:] -= np.sin(x[:-1]) * np.sin(x[1:])
    g[1:] += 2 * x[1:]
    eager, staged = _eager_and_staged(loop, x)
    np.testing.assert_allclose(staged, g, rtol=1e-13)
    np.testing.assert_allclose(eager, g, rtol=1e-13)


def test_templates_are_recorded_once_per_signature(monkeypatch):
    calls = {"lin": 0, "transpose": 0}

    def counting(mod, key):
        orig = mod._record

        def record(*a, **k):
            calls[key] += 1
            return orig(*a, **k)
        monkeypatch.setattr(mod, "_record", record)

    counting(linearize_memo, "lin")
    counting(transpose_memo, "transpose")
    linearize_memo._templates.table.clear()
    transpose_memo._templates.table.clear()

    def chain(x, n):
        s = x[0]
        for _ in range(n):
            s = lnp.sin(s) * x[1]
        return s

    x = np.array([0.4, 0.9])
    lt.make_program(lt.grad(lambda x: chain(x, 3)))(x)
    first = dict(calls)
    lt.make_program(lt.grad(lambda x: chain(x, 50)))(x)
    assert calls == first        # fifty more applications, no new template
    assert first["lin"] >= 2 and first["transpose"] >= 2


def test_memoized_gradient_equals_unmemoized(monkeypatch):
    def f(x, y):
        z = lnp.tanh(x * y) + lnp.exp(-x) * lnp.log1p(y * y)
        return lnp.sum(z * z) + lnp.max(x) * lnp.min(y)

    x, y = np.array([0.3, -0.7, 1.1]), np.array([1.5, 0.2, -0.4])
    fast = lt.jit(lt.grad(f, argnums=(0, 1)), backend="interpret")(x, y)
    monkeypatch.setattr(linearize_memo.MemoJVPTrace, "process_primitive",
                        linearize_memo.JVPTrace.process_primitive)
    monkeypatch.setattr(transpose_memo, "_signature", lambda *a: None)
    slow = lt.jit(lt.grad(f, argnums=(0, 1)), backend="interpret")(x, y)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)


def test_derived_equations_keep_the_users_lines():
    def f(x):
        y = lnp.sin(x) * x
        return lnp.cos(y) * y

    first = inspect.getsourcelines(f)[1]
    lines = {f"{__file__}:{first + k} (f)" for k in (1, 2)}
    program = lt.make_program(lt.grad(f))(0.5)
    sources = {e.source for e in program.eqns}
    assert lines <= sources and None not in sources


@pytest.mark.parametrize("x,y", [(1.5, -1.5), (2.0, 2.0), (0.0, 3.0), (-1e-3, 1e-3)])
def test_hypot_second_derivative_where_magnitudes_tie(x, y):
    r = np.hypot(x, y)
    d2 = lt.grad(lt.grad(lnp.hypot))(x, y)
    np.testing.assert_allclose(d2, y * y / r ** 3, rtol=1e-12)
    check_grads(lnp.hypot, (np.array(x), np.array(y)), order=2)


def test_a_rule_that_needs_concrete_inputs_is_run_not_memoized():
    # made here, not at import: a primitive registered while the suite is collected would
    # count in test_architecture's rule-coverage checks
    take_p = Primitive("test_memo_concrete_take")
    take_p.def_impl(lambda x, idx: x[np.asarray(idx)])
    take_p.def_shape(lambda x, idx: ShapedArray(idx.shape, x.dtype))

    def take_jvp(primals, tangents):
        x, idx = primals
        idx = np.asarray(idx)             # this rule needs the indices themselves
        return take_p.bind(x, idx), lnp.take(tangents[0], idx)

    jvp_rules[take_p] = take_jvp

    def f(x):
        return lnp.sum(take_p.bind(x, np.array([2, 0, 2])) ** 2)

    x = np.array([1.0, -2.0, 3.0])
    expected = np.array([2.0, 0.0, 12.0])
    np.testing.assert_allclose(lt.jit(lt.grad(f), backend="interpret")(x), expected)
