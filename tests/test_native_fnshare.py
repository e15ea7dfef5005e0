"""Called programs (``@fn``, nested ``jit``, derived programs) are compiled once per process as
shared native functions: a second ``jit`` calling them compiles only itself; each input type
gets its own version; the disk cache serves callers and callees separately to a second
process; tier-up reaches callers through the callee's slot."""


import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import native as nat
from test_native import _run

pytestmark = [pytest.mark.skipif(not nat.available, reason="llvmlite is not installed"),
              pytest.mark.usefixtures("fresh_native_cache")]

if nat.available:
    from lintra.backends.native import engine, module

X = np.linspace(-1.0, 1.0, 5)


def counts() -> tuple[int, int]:
    return engine.stats["functions"], engine.stats["compiled"]


def delta(before: tuple) -> tuple[int, int]:
    return tuple(a - b for a, b in zip(counts(), before))


def native_vs_interpreter(f, *args):
    got = lt.jit(f, backend="native")(*args)
    want = lt.jit(f, backend="interpret")(*args)
    for a, b in zip(lt.tree_leaves(got), lt.tree_leaves(want)):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        tol = 1e-6 if np.asarray(b).dtype == np.float32 else 1e-12   # libm vs NumPy's SIMD
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    return got


def called(f, *args):
    """The program of the one ``call`` in ``f``'s program, and its shared function."""
    prog = lt.make_program(f)(*args)
    (eqn,) = [e for e in prog.eqns if e.prim.name == "call"]
    return eqn.params["program"], module.shared_function(eqn.params["program"])


def test_one_fn_from_two_jits_is_compiled_once():
    @lt.fn
    def g(x):
        return lnp.sin(x) * 1.25 + x * x

    before = counts()
    native_vs_interpreter(lambda x: lnp.sum(g(x)), X)
    assert delta(before) == (1, 2)          # g, and the caller
    before = counts()
    native_vs_interpreter(lambda x: g(x * 2.0) + 1.0, X)
    assert delta(before) == (0, 1)          # only the new caller


def test_derived_programs_are_shared_between_gradients():
    @lt.fn
    def g(x):
        return lnp.tanh(x) * 0.75 - x

    def h(x):
        return lnp.sum(g(x) ** 2)

    native_vs_interpreter(lt.grad(h), X)
    before = counts()
    native_vs_interpreter(lt.value_and_grad(h), X)
    assert delta(before) == (0, 1)          # g's derived programs are reused
    before = counts()
    native_vs_interpreter(lt.grad(lambda x: 3.0 * h(x)), X)
    assert delta(before) == (0, 1)


def test_each_input_type_gets_its_own_version():
    @lt.fn
    def g(x):
        return lnp.exp(x) * 0.5

    before = counts()
    for x in (X, X.astype(np.float32), np.linspace(0.0, 1.0, 7)):
        native_vs_interpreter(lambda v: g(v) - 2.0, x)
    assert delta(before) == (3, 6)
    before = counts()
    native_vs_interpreter(lambda v: g(v) * 3.0, X.astype(np.float32))
    assert delta(before) == (0, 1)


def test_equal_programs_share_one_function():
    def make():
        @lt.fn
        def g(x):
            return lnp.cos(x) * 0.375
        return g

    g1, g2 = make(), make()
    before = counts()
    native_vs_interpreter(lambda x: g1(x) + g2(x), X)
    assert delta(before) == (1, 2)
    p1, f1 = called(g1, X)
    p2, f2 = called(g2, X)
    assert p1 is not p2 and f1 is not f2 and f1.code is f2.code


def test_nested_fns():
    @lt.fn
    def inner(a, b):
        return lnp.sin(a) * b + 0.125

    @lt.fn
    def outer(a):
        return inner(a, 2.0) + inner(a * 0.5, a)

    before = counts()
    native_vs_interpreter(lambda x: lnp.sum(outer(x)), X)
    assert delta(before) == (3, 4)          # outer; inner at (array, scalar) and (array, array)
    _, f = called(outer, X)
    assert [c.program().name for c in module.callees(f)] == ["inner", "inner"]
    before = counts()
    native_vs_interpreter(lambda x: inner(x, x), X)
    assert delta(before) == (0, 1)
    native_vs_interpreter(lt.grad(lambda x: lt.fori_loop(0, 3, lambda i, c: outer(c),
                                                         x).sum()), X)


def test_hot_callers_tier_up_to_one_module():
    @lt.fn
    def g(x):
        return lnp.sqrt(x * x + 0.5)

    f = lt.jit(lambda x: lnp.sum(g(x)), backend="native")
    exe, _ = f.executable(X)
    assert exe.opt == 0
    for _ in range(nat.backend.HOT_CALLS):
        f(X)
    nat.wait_for_tier_up()
    assert exe.opt == 2
    np.testing.assert_allclose(f(X), np.sum(np.sqrt(X * X + 0.5)), rtol=1e-12)


def test_tier_up_of_a_shared_callee_reaches_its_callers(monkeypatch):
    @lt.fn
    def g(x):
        return lt.fori_loop(0, 20, lambda i, c: lnp.sin(c) * 0.5 + x, x)

    prog, f = called(g, X)
    limit = nat.backend._size(prog, set())     # g at O2, its callers too big for it
    monkeypatch.setattr(engine, "O2_LIMIT", limit)
    monkeypatch.setattr(nat.backend, "O2_LIMIT", limit)
    h = lt.jit(lambda x: g(x) + g(x * 0.5), backend="native")
    want = lt.jit(lambda x: g(x) + g(x * 0.5), backend="interpret")(X)
    np.testing.assert_allclose(h(X), want, rtol=1e-12)
    exe, _ = h.executable(X)
    assert exe.opt == 0 and f.code.opt == 0 and f.code.want == 2
    first = f.slot.value
    for _ in range(nat.backend.HOT_CALLS):
        h(X)
    nat.wait_for_tier_up()
    assert exe.opt == 0 and f.code.opt == 2 and f.slot.value != first
    np.testing.assert_allclose(h(X), want, rtol=1e-12)


def test_a_second_process_compiles_nothing(tmp_path):
    code = """
        import numpy as np, lintra as lt, lintra.numpy as lnp
        from lintra.backends import native
        g = lt.fn(lambda x: lnp.sin(x) * 0.625 + 1.0)
        f1 = lt.jit(lambda x: lnp.sum(g(x)))
        f2 = lt.jit(lambda x: g(x) * 2.0)
        x = np.linspace(0.0, 1.0, 9)
        print(f1(x), f2(x).sum())
        print(native.stats["compiled"], native.stats["cache_hits"])
        native.wait_for_tier_up(start=True)
        print(f1(x), f2(x).sum())
        print(native.stats["compiled"], native.stats["cache_hits"])
    """
    env = {"LINTRA_CACHE_DIR": str(tmp_path)}
    first = _run(code, env).split("\n")
    second = _run(code, env).split("\n")
    third = _run(code, env).split("\n")
    assert first[0] == second[0] == third[0] == first[2] == second[2]
    assert first[1] == "3 0" and first[3] == "5 0"      # g, f1, f2 at O0; f1, f2 at O2
    assert second[1] == "0 2" and second[3] == "0 2"    # f1, f2 at O2 from the disk
    assert third == second


def test_a_second_process_loads_caller_and_callee_objects(tmp_path):
    code = """
        import numpy as np, lintra as lt, lintra.numpy as lnp
        from lintra.backends import native
        g = lt.fn(lambda x: lnp.sin(x) * 0.875 + 1.0)
        x = np.linspace(0.0, 1.0, 9)
        print(lt.jit(lambda x: lnp.sum(g(x)))(x))
        print(native.stats["compiled"], native.stats["cache_hits"])
    """
    env = {"LINTRA_CACHE_DIR": str(tmp_path)}
    first = _run(code, env).split("\n")
    second = _run(code, env).split("\n")
    assert first[0] == second[0]
    assert first[1] == "2 0" and second[1] == "0 2"     # g and the caller, at O0
