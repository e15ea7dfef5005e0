"""The backend seam: ``jit(f, backend=...)`` compiles a program once per backend and runs it;
a backend is anything with a name and ``compile(program) -> run(args)``."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.backends import get_backend, register_backend
from lintra.core import config
from lintra.core.eval import run_program


class CountingBackend:
    """The interpreter, counting compilations and runs."""

    name = "counting"

    def __init__(self):
        self.compiled = []
        self.runs = 0

    def compile(self, program):
        self.compiled.append(program)

        def run(args):
            self.runs += 1
            return run_program(program, args)
        return run


@pytest.fixture
def counting():
    b = CountingBackend()
    register_backend(b)
    return b


def f(x, y):
    return lnp.sum(lnp.sin(x) * y), x * 2.0


def test_named_backend_runs_the_program_compiled_once(counting):
    x, y = np.linspace(0, 1, 5), np.arange(5.0)
    g = lt.jit(f, backend="counting")
    for _ in range(3):
        out = g(x, y)
    np.testing.assert_allclose(out[0], np.sum(np.sin(x) * y), rtol=1e-14)
    np.testing.assert_allclose(out[1], 2 * x)
    assert len(counting.compiled) == 1 and counting.runs == 3
    g(x[:3], y[:3])                             # new types: one more program
    assert len(counting.compiled) == 2


def test_derived_programs_run_on_any_backend(counting):
    x = np.linspace(-1, 1, 4)
    h = lambda x: lnp.sum(lnp.tanh(x) ** 3)  # noqa: E731
    for fun in (lt.grad(h), lt.hessian(h), lambda x: lt.jvp(h, (x,), (np.ones(4),))[1]):
        np.testing.assert_allclose(lt.jit(fun, backend="counting")(x),
                                   lt.jit(fun, backend="interpret")(x), rtol=1e-14)
    assert counting.runs == 3


def test_default_backend_comes_from_config(counting, monkeypatch):
    monkeypatch.setattr(config, "default_backend", "counting")
    assert lt.jit(lambda x: x + 1.0)(1.0) == 2.0
    assert counting.runs == 1
    assert get_backend().name == "counting"


def test_jit_under_a_transformation_is_a_call_not_a_backend_run(counting):
    g = lt.jit(lambda x: lnp.sin(x) * x, backend="counting")
    assert np.isclose(lt.grad(g)(0.5), np.cos(0.5) * 0.5 + np.sin(0.5))
    assert counting.runs == 0                  # differentiated through its program instead


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend 'nope'; available: .*interpret"):
        lt.jit(lambda x: x, backend="nope")
