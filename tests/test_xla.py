"""The xla backend (lintra programs lowered to JAX): the property suites of the primitive
families and transformations re-run with ``jit`` on XLA, so that every staged program is
checked as interpret == xla (eager == staged in ``check_staged``, jit vs eager values in the
tests); plus the backend's own behaviour (float64, transfers, errors, coverage)."""

import functools
import importlib
import os

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the xla backend needs JAX (pip install lintra[xla])")

from hypothesis import settings  # noqa: E402

import lintra as lt  # noqa: E402
import lintra.numpy as lnp  # noqa: E402
from lintra.backends import get_backend  # noqa: E402
from lintra.core import config  # noqa: E402
from lintra.core.primitive import registry  # noqa: E402

xla = importlib.import_module("lintra.backends.xla")

# the suites re-run here with every ``lt.jit`` on XLA
SUITES = ["test_elementwise", "test_reductions", "test_structure", "test_indexing",
          "test_linalg", "test_control", "test_control_cond", "test_control_compose",
          "test_fn_checkpoint_custom", "test_transformations", "test_vmap",
          "test_vmap_arrays", "test_vmap_control", "test_idioms", "test_regressions"]
# tests of interpreter behaviour XLA cannot have, each with its reason
NOT_ON_XLA: dict[str, str] = {
    "test_indexing::test_at_duplicate_index_semantics":
        "a run-time check (duplicate indices of a traced .at[].multiply raise ValueError): "
        "XLA programs cannot raise",
    "test_indexing::test_indexing_errors":
        "constant index arrays are bounds-checked when the interpreter runs the program; "
        "XLA programs cannot raise",
    "test_control::test_index_adjoints_in_loops_are_linear_in_n":
        "counts the NumPy allocations of the interpreter's in-place updates",
    "test_indexing::test_scalar_reads_backward_is_linear":
        "counts the interpreter's in-place scatters (and XLA compiles 4000 unrolled reads "
        "for minutes)",
}


# examples per property test here (each new shape is one more XLA compilation)
EXAMPLES = int(os.environ.get("LINTRA_XLA_EXAMPLES", "4"))


def _fewer_examples(test):
    """``test`` (a hypothesis test) run with ``EXAMPLES`` examples; its original (collected
    in its own module) keeps its settings."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        old = test._hypothesis_internal_use_settings
        test._hypothesis_internal_use_settings = settings(old, max_examples=EXAMPLES)
        try:
            return test(*args, **kwargs)
        finally:
            test._hypothesis_internal_use_settings = old
    return run


def _collect(suites):
    for mod_name in suites:
        mod = importlib.import_module(mod_name)
        for name, obj in vars(mod).items():
            if name.startswith("test_") and callable(obj):
                key = f"{mod_name}::{name}"
                if getattr(obj, "is_hypothesis_test", False):
                    obj = _fewer_examples(obj)
                if key in NOT_ON_XLA:
                    obj = pytest.mark.skip(reason=NOT_ON_XLA[key])(obj)
                globals()[f"test_xla_{mod_name[5:]}__{name[5:]}"] = obj
            elif getattr(obj, "_fixture_function_marker", None) or type(obj).__name__ == \
                    "FixtureFunctionDefinition":
                globals().setdefault(name, obj)


_collect(SUITES)


@pytest.fixture(autouse=True)
def _on_xla(monkeypatch):
    monkeypatch.setattr(config, "default_backend", "xla")


# ---------------------------------------------------------------- the backend itself

# primitives with no XLA lowering, on purpose: function values (lintra.functional) are Python
# objects, run by the interpreter.
ALLOWED_MISSING = sorted([
    "fn_broadcast_arg", "fn_compose", "fn_constant", "fn_eval", "fn_integrate",
    "fn_linear_transpose", "fn_linearize", "fn_nabla", "fn_partial", "fn_permute_args",
    "fn_point_mass", "fn_split", "fn_zip"])


def test_every_array_primitive_has_a_lowering():
    # less the primitives that tests make (test_vmap's, when run before this in one process)
    lintras = [p for p in registry.values() if not p.name.startswith("test_")]
    assert xla.missing_lowerings(lintras) == ALLOWED_MISSING
    assert sorted(xla.NOT_LOWERED) == ALLOWED_MISSING
    assert all(registry.get(p.name) is p for p in xla.lowerings)


def test_a_primitive_without_lowering_is_named():
    from lintra.core.avals import ShapedArray
    from lintra.core.primitive import Primitive
    p = Primitive("test_unlowered")
    try:
        p.def_impl(lambda x: x)
        p.def_shape(lambda x: ShapedArray(x.shape, x.dtype))
        f = lt.jit(lambda x: p.bind(x) * 2.0, backend="xla")
        with pytest.raises(xla.MissingLoweringError, match="`test_unlowered` has no XLA"):
            f(np.ones(3))
        assert lt.jit(lambda x: p.bind(x) * 2.0, backend="interpret")(1.0) == 2.0
    finally:
        del registry["test_unlowered"]


def test_float64_without_touching_the_users_jax_config():
    before = jax.config.jax_enable_x64
    x = np.linspace(0.1, 1.0, 7)
    f = lt.jit(lambda x: lnp.sum(lnp.exp(x) / 3.0) + 1e-12, backend="xla")
    y = f(x)
    assert y.dtype == np.float64 and isinstance(y, np.ndarray)
    np.testing.assert_allclose(y, np.sum(np.exp(x) / 3.0) + 1e-12, rtol=1e-15)
    assert jax.config.jax_enable_x64 == before
    y32 = f(x.astype(np.float32))
    assert y32.dtype == np.float32
    ints = lt.jit(lambda i: lnp.sum(i * 3), backend="xla")(np.arange(5, dtype=np.int32))
    assert ints.dtype == np.sum(np.arange(5, dtype=np.int32) * 3).dtype and ints == 30


def test_results_kept_on_the_device_chain_without_transfers():
    step = lt.jit(lambda w, x: w - 0.1 * lt.grad(lambda w: lnp.sum(lnp.sin(x @ w)))(w),
                  backend="xla", keep_on_device=True)
    w0, x = np.linspace(-1, 1, 3), np.linspace(0, 1, 12).reshape(4, 3)
    w = lt.device_put(w0)
    xd = lt.device_put(x)
    assert isinstance(w, jax.Array) and w.dtype == np.float64
    for _ in range(3):
        w = step(w, xd)
    assert isinstance(w, jax.Array)
    ref = w0
    for _ in range(3):
        ref = lt.jit(step.__wrapped__, backend="interpret")(ref, x)
    np.testing.assert_allclose(np.asarray(w), ref, rtol=1e-13)
    tree = lt.device_put({"a": x, "b": (w0, 2.0)})
    assert all(isinstance(v, jax.Array) for v in lt.tree_leaves(tree))


def test_default_backend_and_options():
    assert get_backend().name == "xla"       # the fixture of this module sets it
    with pytest.raises(TypeError, match="backend 'interpret' takes no option 'keep_on_"):
        lt.jit(lambda x: x, backend="interpret", keep_on_device=True)(1.0)
    with pytest.raises(ValueError, match="in_shardings has 1 entries for 2 positional"):
        lt.jit(lambda x, y: x, backend="xla", in_shardings=(None,))(1.0, 2.0)


def _jaxpr_of(f, *args):
    exe, ins = lt.jit(f, backend="xla").executable(*args)
    return str(exe.jaxpr(ins))


def test_loops_stay_loops_and_calls_stay_calls():
    def f(x):
        c = lt.fori_loop(0, 100, lambda i, c: c * 0.99 + lnp.sin(c), x)
        w = lt.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 1.01), (0, c))[1]
        return lt.cond(w > 0, lambda w: w * 2, lambda w: -w, w)
    df = lambda x: lt.jvp(f, (x,), (1.0,))[1]  # noqa: E731  (forward mode: while_loop)
    text = _jaxpr_of(df, 0.5)
    assert "scan[" in text and "while[" in text and "cond[" in text
    np.testing.assert_allclose(lt.jit(df, backend="xla")(0.5),
                               lt.jit(df, backend="interpret")(0.5), rtol=1e-12)
    g = lt.grad(lambda x: lt.scan(lambda c, x: (lnp.sin(c) * x, c), x, np.arange(3.0))[0])
    assert "scan[" in _jaxpr_of(g, 0.5)


def _nested(depth):
    fs = [lt.fn(lnp.sin, name="f0")]
    for k in range(depth):
        fs.append(lt.fn((lambda p: lambda x: p(x) + p(x))(fs[-1]), name=f"f{k + 1}"))
    return fs[-1]


def test_nested_fns_lower_to_nested_jitted_functions():
    f = _nested(30)
    for fun, expect in ((f, 2.0 ** 30 * np.sin(0.3)), (lt.grad(f), 2.0 ** 30 * np.cos(0.3))):
        np.testing.assert_allclose(lt.jit(fun, backend="xla")(0.3), expect, rtol=1e-12)
    text = _jaxpr_of(f, 0.3)
    # one jitted function per @fn (f0..f30), each called once: linear in the depth
    assert text.count("name=lintra_f") == 31 and len(text.splitlines()) < 20 * 31


def test_debug_print_prints_from_xla(capfd):
    def f(x):
        lt.debug_print("x={}", x)
        return x * 2
    assert lt.jit(f, backend="xla")(3.0) == 6.0
    jax.effects_barrier()
    assert "x=3.0" in capfd.readouterr().out
    g = lt.fn(f)                  # one jitted function, printing at each of its calls
    assert lt.jit(lambda x: g(x) + g(2 * x), backend="xla")(1.0) == 6.0
    jax.effects_barrier()
    assert capfd.readouterr().out.split() == ["x=1.0", "x=2.0"]


# ---------------------------------------------------------------- in fresh processes

def _run_py(code: str, env: dict | None = None, timeout: int = 300) -> str:
    import subprocess
    import sys
    import textwrap
    full = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    src = str(__import__("pathlib").Path(lt.__file__).parent.parent)
    full["PYTHONPATH"] = src + os.pathsep + full.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_without_jax_the_error_names_the_extra():
    out = _run_py("""
        import sys
        class NoJax:
            def find_spec(self, name, path=None, target=None):
                if name == "jax" or name.startswith(("jax.", "jaxlib")):
                    raise ImportError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, NoJax())
        import lintra as lt
        assert lt.jit(lambda x: x * 2.0)(1.0) == 2.0          # interpret works
        try:
            lt.jit(lambda x: x, backend="xla")
        except ImportError as e:
            print(type(e).__name__, e)
        """)
    assert "BackendUnavailableError" in out and "pip install lintra[xla]" in out


def test_default_backend_from_the_environment():
    out = _run_py("""
        import numpy as np, jax, lintra as lt, lintra.numpy as lnp
        from lintra.backends import get_backend
        f = lt.jit(lambda x: lnp.sin(x) * 2.0)
        exe, ins = f.executable(np.ones(3))
        print(get_backend().name, type(exe).__name__, f(np.ones(3)).dtype)
        """, {"LINTRA_BACKEND": "xla"})
    assert out.split() == ["xla", "XlaExecutable", "float64"]


_MULTI = """
    import numpy as np, jax, lintra as lt, lintra.numpy as lnp
    assert jax.device_count() == 8
    def loss(w, x, y):
        return lnp.mean((lnp.tanh(x @ w["a"]) + w["b"] - y) ** 2)
    g = lt.grad(loss)
    rng = np.random.default_rng(0)
    w = {"a": rng.normal(size=(5, 3)), "b": rng.normal(size=3)}
    x, y = rng.normal(size=(64, 5)), rng.normal(size=(64, 3))
    ref = lt.jit(g, backend="interpret")(w, x, y)
    one = lt.jit(g, backend="xla")(w, x, y)
    dp = lt.data_parallel(g, batch_argnums=(1, 2))(w, x, y)
    for k in ref:
        np.testing.assert_allclose(one[k], ref[k], rtol=1e-12)
        np.testing.assert_allclose(dp[k], ref[k], rtol=1e-12)
        assert isinstance(dp[k], np.ndarray)
    batch, rep = lt.backends.get_backend("xla").data_parallel_shardings("data")
    f = lt.jit(g, backend="xla", in_shardings=(rep, batch, batch), out_shardings=rep,
               keep_on_device=True)
    exe, ins = f.executable(w, x, y)
    hlo = exe.as_text(ins)
    xs = lt.device_put(x, batch)
    shards = sorted({s.data.shape for s in xs.addressable_shards})
    out = f(w, xs, lt.device_put(y, batch))
    np.testing.assert_allclose(np.asarray(out["a"]), ref["a"], rtol=1e-12)
    print("all-reduce" in hlo, shards, out["a"].sharding.is_fully_replicated,
          jax.config.jax_enable_x64)
"""


def test_data_parallel_on_eight_devices_is_partitioned_and_equal():
    out = _run_py(_MULTI, {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"})
    assert out.split() == ["True", "[(8,", "5)]", "True", "False"]


def test_multi_host_code_path_in_one_process():
    """``jax.distributed.initialize`` (here one process of a one-process job), then the same
    data-parallel call every host would make with its part of the batch."""
    out = _run_py("""
        import socket, numpy as np, jax, lintra as lt, lintra.numpy as lnp
        s = socket.socket(); s.bind(("localhost", 0)); port = s.getsockname()[1]; s.close()
        jax.distributed.initialize(coordinator_address=f"localhost:{port}",
                                   num_processes=1, process_id=0)
        g = lt.grad(lambda w, x: lnp.sum(lnp.sin(x @ w)))
        w, x = np.linspace(-1, 1, 3), np.linspace(0, 2, 24).reshape(8, 3)
        local = x[jax.process_index() * 8 // jax.process_count():][:8 // jax.process_count()]
        out = lt.data_parallel(g)(w, local)
        np.testing.assert_allclose(out, lt.grad(lambda w, x: lnp.sum(lnp.sin(x @ w)))(w, x),
                                   rtol=1e-12)
        print(jax.process_count(), jax.device_count())
        jax.distributed.shutdown()
        """, {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    assert out.split()[-2:] == ["1", "4"]


# ---------------------------------------------------------------- the benchmark tool

def test_lintra_xla_tool_on_every_benchmark_problem():
    """Every benchmark problem at its tiny size on the ``lintra-xla`` tool (inputs on the
    device, results kept there) equals lintra eager."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.harness import rel_err
    from benchmarks.problems import all_problems
    from benchmarks.tools import Unavailable, get_tool
    eager, xtool = get_tool("lintra"), get_tool("lintra-xla")
    for name, p in all_problems().items():
        params = p.sizes["tiny"]
        args = p.inputs(params)
        for variant in p.variants:
            ref = p.build(eager, params, variant)
            try:
                impl = p.build(xtool, params, variant)
            except Unavailable:
                assert name == "particle" and variant[0] == "r"   # reverse through while
                continue
            xargs = [xtool.asarray(a) for a in args]
            for got, want in ((impl.primal(*xargs), ref.primal(*args)),
                              (impl.deriv(*xargs), ref.deriv(*args))):
                assert rel_err(xtool.to_numpy(got), want) <= 1e-10, (name, variant)
