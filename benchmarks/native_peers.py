"""The peers of ``make bench-native`` besides JAX and hand-written C: CasADi SX and PyTorch on
the scalar_loop gradient, each written the way a user of that tool writes it (a Python loop
over scalars). Each entry makes the gradient function (``make()``: build, trace, compile) and
returns a callable ``x (numpy) -> gradient``; ``benchmarks/native.py`` times the first call
(make + one call) and the steady state and checks every result against the closed form.

* ``casadi-vm``: the SX expression graph built by the loop, ``casadi.gradient``, a
  ``casadi.Function`` (CasADi's SX virtual machine), called through ``Function.buffer()``
  (the VM on NumPy memory, no conversion); ``casadi-call``: the same function called as
  ``F(x)`` (conversion to and from CasADi's DM matrices included).
* ``casadi-c``: that function's generated C (``Function.generate``) compiled by gcc
  (``-O2``; ``-O0`` above ``CODEGEN_O2_MAX`` where gcc takes minutes) and loaded with
  ``casadi.external``; only when gcc is present.
* ``torch``: PyTorch eager (one thread), ``torch.autograd.grad`` through the loop;
  ``torch-compile``: ``torch.compile(torch.func.grad(f))`` (inductor, CPU) — 77 s to compile
  at n = 100 on the 2-core machine, so it runs only with ``--all`` and only for n <= 100.

A peer that does not import is reported as ``missing``, never a crash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable

import numpy as np

CODEGEN_O2_MAX = 1000        # gcc -O2 on the generated code: 10 s at n=1000, > 5 min at 10^4
TORCH_COMPILE_MAX = 100      # torch.compile: 77 s at n=100, superlinear above


class PeerUnavailable(Exception):
    """The peer is not installed or this case is not run; the message says which."""


def _casadi():
    try:
        import casadi
    except ImportError as e:
        raise PeerUnavailable(f"missing: casadi does not import ({e})") from None
    return casadi


def _torch():
    try:
        import torch
    except ImportError as e:
        raise PeerUnavailable(f"missing: torch does not import ({e})") from None
    torch.set_num_threads(1)
    return torch


def casadi_function(n: int):
    """The SX graph of the loop, its gradient, as a ``casadi.Function`` (the SX VM)."""
    ca = _casadi()
    x = ca.SX.sym("x", n)
    s = 0
    for i in range(n - 1):
        s = s + ca.sin(x[i]) * ca.cos(x[i + 1])
    return ca.Function("scalar_loop_grad", [x], [ca.gradient(s, x)])


def _buffered(F, n: int) -> Callable:
    """``F`` evaluated through ``Function.buffer()``: arguments and results in NumPy memory."""
    buf, trigger = F.buffer()
    g = np.empty(n)
    buf.set_res(0, memoryview(g))

    def call(x):
        buf.set_arg(0, memoryview(x))
        trigger()
        return g
    return call


def casadi_vm(n: int, run_all: bool) -> Callable:
    _casadi()
    return lambda: _buffered(casadi_function(n), n)


def casadi_call(n: int, run_all: bool) -> Callable:
    _casadi()

    def make():
        F = casadi_function(n)
        return lambda x: F(x).full().ravel()
    return make


def casadi_c(n: int, run_all: bool) -> Callable:
    ca = _casadi()
    if shutil.which("gcc") is None:
        raise PeerUnavailable("missing: no gcc for CasADi's generated C")
    opt = "-O2" if n <= CODEGEN_O2_MAX else "-O0"

    def make():
        F = casadi_function(n)
        d = tempfile.mkdtemp(prefix="casadi-codegen-")
        src = os.path.join(d, "scalar_loop_grad.c")
        shutil.move(F.generate("scalar_loop_grad.c"), src)
        lib = os.path.join(d, "scalar_loop_grad.so")
        subprocess.run(["gcc", opt, "-shared", "-fPIC", src, "-o", lib, "-lm"], check=True)
        return _buffered(ca.external("scalar_loop_grad", lib), n)
    return make


def _torch_loop(torch):
    def f(x):
        s = 0.0
        for i in range(x.shape[0] - 1):
            s = s + torch.sin(x[i]) * torch.cos(x[i + 1])
        return s
    return f


def torch_eager(n: int, run_all: bool) -> Callable:
    torch = _torch()
    f = _torch_loop(torch)

    def grad(x):
        t = torch.from_numpy(x).requires_grad_(True)
        return torch.autograd.grad(f(t), t)[0].numpy()
    return lambda: grad


def torch_compile(n: int, run_all: bool) -> Callable:
    torch = _torch()
    if not run_all or n > TORCH_COMPILE_MAX:
        raise PeerUnavailable(f"skipped (77 s compile at n=100; --all: n <= "
                              f"{TORCH_COMPILE_MAX})")

    def make():
        g = torch.compile(torch.func.grad(_torch_loop(torch)))
        return lambda x: g(torch.from_numpy(x)).numpy()
    return make


PEERS: dict[str, Callable[[int, bool], Callable]] = {
    "casadi-vm": casadi_vm, "casadi-call": casadi_call, "casadi-c": casadi_c,
    "torch": torch_eager, "torch-compile": torch_compile,
}


def peer_make(name: str, n: int, run_all: bool) -> Callable | str:
    """``make`` for peer ``name`` at size ``n``, or the reason it does not run."""
    try:
        return PEERS[name](n, run_all)
    except PeerUnavailable as e:
        return str(e)
