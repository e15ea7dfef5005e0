"""The tools under test, behind one small interface so that each problem is written once per
array API (NumPy-like for lintra, JAX and HIPS autograd; torch for PyTorch).

A ``Tool`` gives: the array namespace (``np``), conversion in and out, ``jit`` (identity for
eager tools), the derivative operators of that tool (``grad``, ``jvp``, ``vjp``), and the loop
constructs a user of that tool would write (Python loops when eager, structured loops when
staged). Peers are imported lazily, so ``make test`` needs none of them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

TOOL_NAMES = ("lintra", "lintra-jit", "lintra-native", "jax", "torch", "autograd")
# tools run on request (``--tools``) and by their own scripts (``python -m benchmarks.xla``)
EXTRA_TOOLS = ("lintra-xla",)
LINTRA_TOOLS = ("lintra", "lintra-jit", "lintra-native", "lintra-xla")


class Unavailable(Exception):
    """The tool cannot express this problem or variant; reported as "n/a: <reason>"."""


class Mismatch(AssertionError):
    """Two tools (or a tool and finite differences) disagree: the run must stop."""


class Skipped(Exception):
    """Runnable, but left out of the default run to keep it short; ``--all`` runs it."""


def _tree_map(f: Callable, x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_tree_map(f, v) for v in x)
    if isinstance(x, dict):
        return {k: _tree_map(f, v) for k, v in x.items()}
    return f(x)


def _python_fori(n: int, body: Callable, init: Any) -> Any:
    val = init
    for i in range(n):
        val = body(i, val)
    return val


def _python_scan(body: Callable, init: Any, xs: Any, length: int) -> tuple[Any, list]:
    carry, ys = init, []
    for t in range(length):
        carry, y = body(carry, _tree_map(lambda a, t=t: a[t], xs))
        ys.append(y)
    return carry, ys


def _python_while(cond: Callable, body: Callable, init: Any) -> Any:
    val = init
    while bool(cond(val)):
        val = body(val)
    return val


class Tool:
    """Base: an eager tool with a NumPy-like namespace."""

    name = ""
    family = ""
    staged = False           # True when the measured functions are compiled (jit)
    forward_mode = True      # has a forward mode (jvp)
    np: Any = None

    def asarray(self, a: Any) -> Any:
        return a

    def to_numpy(self, y: Any) -> Any:
        return _tree_map(lambda v: np.asarray(v, dtype=np.result_type(v)), y)

    def block(self, y: Any) -> Any:
        return y

    def settle(self) -> None:
        """Between the first calls and the steady-state timing: finish background work."""

    def jit(self, f: Callable) -> Callable:
        return f

    def fori_loop(self, n: int, body: Callable, init: Any) -> Any:
        return _python_fori(n, body, init)

    def scan(self, body: Callable, init: Any, xs: Any, length: int) -> tuple[Any, Any]:
        """``lax.scan`` semantics over the leading axis; ys are returned as a list (eager) or
        a stacked array (staged) — callers only reduce over them."""
        return _python_scan(body, init, xs, length)

    def while_loop(self, cond: Callable, body: Callable, init: Any) -> Any:
        return _python_while(cond, body, init)

    def grad(self, f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
        raise NotImplementedError

    def jvp(self, f: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
        raise NotImplementedError

    def vjp(self, f: Callable, *primals) -> tuple[Any, Callable]:
        raise NotImplementedError

    def warm_up(self) -> None:
        """One small gradient, so one-time library start-up is not charged to the first
        problem's first call."""
        x = self.asarray(np.linspace(0.1, 1.0, 3))
        if self.family == "torch":
            f = lambda v: self.torch.sum(self.torch.sin(v) * v)
        else:
            f = lambda v: self.np.sum(self.np.sin(v) * v)
        self.block(self.jit(self.grad(f))(x))
        if self.family == "torch":
            self.torch.func.jvp(self.torch.func.grad(f), (x,), (x,))

    def __repr__(self) -> str:
        return f"<tool {self.name}>"


class LintraEager(Tool):
    name, family = "lintra", "lintra"

    def __init__(self) -> None:
        import lintra
        import lintra.numpy as lnp
        self.lt, self.np = lintra, lnp

    def grad(self, f, argnums=0):
        return self.lt.grad(f, argnums)

    def jvp(self, f, primals, tangents):
        return self.lt.jvp(f, tuple(primals), tuple(tangents))

    def vjp(self, f, *primals):
        return self.lt.vjp(f, *primals)


class LintraJit(LintraEager):
    """``lintra.jit`` on the NumPy interpreter."""

    name, staged = "lintra-jit", True
    backend = "interpret"

    def jit(self, f):
        return self.lt.jit(f, backend=self.backend)

    def fori_loop(self, n, body, init):
        return self.lt.fori_loop(0, n, body, init)

    def scan(self, body, init, xs, length):
        return self.lt.scan(body, init, xs, length=length)

    def while_loop(self, cond, body, init):
        return self.lt.while_loop(cond, body, init)


class LintraNative(LintraJit):
    """``lintra.jit`` compiled to native code (LLVM through llvmlite)."""

    name = "lintra-native"
    backend = "native"

    def __init__(self) -> None:
        super().__init__()
        from lintra.backends import native
        if not native.available:
            raise ImportError(native.unavailable_reason)
        self.native = native

    def settle(self) -> None:
        """The steady state runs the O2 code (loops compile at O0 for the first call)."""
        self.native.wait_for_tier_up(start=True)


class LintraXla(LintraJit):
    """lintra ``jit`` on the xla backend, its inputs and results kept on JAX's device (as the
    JAX tool's are), so a call costs what the compiled program costs, not a transfer."""

    name = "lintra-xla"

    def __init__(self) -> None:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        super().__init__()
        import jax
        self.jax = jax

    def asarray(self, a):
        return self.lt.device_put(np.asarray(a))

    def to_numpy(self, y):
        return _tree_map(np.asarray, y)

    def block(self, y):
        return self.jax.block_until_ready(y)

    def jit(self, f):
        return self.lt.jit(f, backend="xla", keep_on_device=True)


class Jax(Tool):
    name, family, staged = "jax", "jax", True

    def __init__(self) -> None:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        self.jax, self.np = jax, jnp

    def asarray(self, a):
        return self.np.asarray(a)

    def block(self, y):
        return self.jax.block_until_ready(y)

    def jit(self, f):
        return self.jax.jit(f)

    def fori_loop(self, n, body, init):
        return self.jax.lax.fori_loop(0, n, body, init)

    def scan(self, body, init, xs, length):
        return self.jax.lax.scan(body, init, xs, length=length)

    def while_loop(self, cond, body, init):
        return self.jax.lax.while_loop(cond, body, init)

    def grad(self, f, argnums=0):
        return self.jax.grad(f, argnums)

    def jvp(self, f, primals, tangents):
        return self.jax.jvp(f, tuple(primals), tuple(tangents))

    def vjp(self, f, *primals):
        return self.jax.vjp(f, *primals)


class Autograd(Tool):
    name, family = "autograd", "autograd"

    def __init__(self) -> None:
        import autograd
        import autograd.core
        import autograd.numpy as anp
        import autograd.scipy.special  # noqa: F401  (imported here, not in a timed call)
        self.ag, self.np = autograd, anp
        self._make_jvp = autograd.core.make_jvp
        self._make_vjp = autograd.core.make_vjp

    def grad(self, f, argnums=0):
        if isinstance(argnums, int):
            return self.ag.grad(f, argnums)
        return self.ag.grad(f, tuple(argnums))

    def jvp(self, f, primals, tangents):
        """Forward mode (autograd.core.make_jvp) over the tuple of all primals."""
        g = lambda args: f(*args)
        return self._make_jvp(g, tuple(primals))(tuple(tangents))

    def vjp(self, f, *primals):
        from autograd.builtins import tuple as ag_tuple

        def g(args):
            out = f(*args)
            return ag_tuple(out) if isinstance(out, tuple) else out

        vjp_fn, ans = self._make_vjp(g, tuple(primals))
        return ans, vjp_fn


class Torch(Tool):
    """PyTorch eager, one thread, float64. ``grad`` is the classic tape
    (``torch.autograd.grad``); nested problems use ``torch.func`` (``fgrad``/``jvp``)."""

    name, family, np = "torch", "torch", None

    def __init__(self) -> None:
        import torch
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
        self.torch = torch

    def asarray(self, a):
        return self.torch.from_numpy(np.array(a))  # a copy: C-contiguous, same ndim

    def to_numpy(self, y):
        t = self.torch
        return _tree_map(lambda v: v.detach().numpy().copy() if isinstance(v, t.Tensor)
                         else np.asarray(v), y)

    def grad(self, f, argnums=0):
        torch = self.torch
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

        @functools.wraps(f)
        def g(*args):
            args = list(args)
            for i in nums:
                args[i] = args[i].detach().requires_grad_(True)
            out = f(*args)
            gs = torch.autograd.grad(out, [args[i] for i in nums])
            return gs[0] if isinstance(argnums, int) else tuple(gs)

        return g

    def fgrad(self, f, argnums=0):
        return self.torch.func.grad(f, argnums)

    def jvp(self, f, primals, tangents):
        return self.torch.func.jvp(f, tuple(primals), tuple(tangents))

    def vjp(self, f, *primals):
        return self.torch.func.vjp(f, *primals)


_CLASSES = {"lintra": LintraEager, "lintra-jit": LintraJit, "lintra-native": LintraNative,
            "lintra-xla": LintraXla,
            "jax": Jax, "torch": Torch, "autograd": Autograd}
_cache: dict[str, Tool] = {}


def get_tool(name: str) -> Tool:
    """The (cached) tool called ``name``; raises ImportError when the peer is not installed."""
    if name not in _CLASSES:
        raise ValueError(f"unknown tool {name!r}; choose from "
                         f"{', '.join(TOOL_NAMES + EXTRA_TOOLS)}")
    if name not in _cache:
        tool = _CLASSES[name]()
        tool.warm_up()
        _cache[name] = tool
    return _cache[name]
