"""The ``xla`` backend: lintra programs lowered to ``jax.lax``/``jax.numpy`` and compiled with
``jax.jit``, for GPUs/TPUs and many devices through JAX's own runtime (design.md §8).

Imported on first use (``jit(f, backend="xla")``); needs ``pip install lintra[xla]``.
float64 works without the user enabling it: tracing and every call run inside
``jax.enable_x64(True)``, a context that leaves the user's global JAX configuration alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from ...core.avals import register_array_type
from ...core.ir import Program
from ..base import register_backend
from . import rules, rules_more  # noqa: F401  (fill the lowering table)
from .lowering import MissingLoweringError, lower_program, lowerings, missing_lowerings
from .rules import NOT_LOWERED

__all__ = ["MissingLoweringError", "NOT_LOWERED", "XlaBackend", "XlaExecutable",
           "lower_program", "lowerings", "missing_lowerings"]

register_array_type(jax.Array)


def x64():
    """The context every trace and call of a lowered program runs in."""
    return jax.enable_x64(True)


class XlaExecutable:
    """A program compiled by ``jax.jit`` (per input types: lintra stages per types, so one
    JAX compilation). Arguments are NumPy arrays, scalars or JAX arrays; results are NumPy
    arrays, or JAX arrays left on the device with ``keep_on_device``."""

    def __init__(self, program: Program, in_shardings=None, out_shardings=None,
                 keep_on_device: bool = False):
        kw = {}
        if in_shardings is not None:
            kw["in_shardings"] = tuple(in_shardings)
        if out_shardings is not None:
            kw["out_shardings"] = out_shardings
        self.program = program        # the lowering holds it weakly
        self.jitted = jax.jit(lower_program(program), **kw)
        self.keep_on_device = keep_on_device
        self._dtypes = [v.aval.dtype for v in program.params]

    def _args(self, args: Sequence[Any]) -> list:
        return [a if isinstance(a, (np.ndarray, jax.Array)) else np.asarray(a, dt)
                for a, dt in zip(args, self._dtypes)]

    def __call__(self, args: Sequence[Any]) -> list:
        with x64():
            outs = self.jitted(*self._args(args))
        if self.keep_on_device:
            return outs
        return [_to_host(o) for o in outs]

    def jaxpr(self, args: Sequence[Any]) -> Any:
        """The JAX program lintra's program lowers to, for these arguments."""
        with x64():
            return jax.make_jaxpr(self.jitted)(*self._args(args))

    def as_text(self, args: Sequence[Any]) -> str:
        """The optimized HLO XLA compiled for these arguments (collectives show here)."""
        with x64():
            return self.jitted.lower(*self._args(args)).compile().as_text()


def _to_host(x):
    """A result as a NumPy array: whole, or this process's copy of a replicated array;
    an array sharded over several hosts stays a JAX array."""
    if x.is_fully_addressable:
        return np.asarray(x)
    if x.is_fully_replicated:
        return np.asarray(x.addressable_data(0))
    return x


class XlaBackend:
    name = "xla"

    def compile(self, program: Program, *, in_shardings=None, out_shardings=None,
                keep_on_device: bool = False) -> XlaExecutable:
        return XlaExecutable(program, in_shardings, out_shardings, keep_on_device)

    def device_put(self, x: Any, device=None) -> Any:
        """``jax.device_put`` with float64 kept (under the backend's x64 context). With a
        ``Sharding``, ``x`` is this process's part of the global array (all of it when one
        process sees every device), so the same call works on one host or many."""
        with x64():
            if isinstance(device, jax.sharding.Sharding):
                return jax.make_array_from_process_local_data(device, np.asarray(x))
            return jax.device_put(x, device)

    def data_parallel_shardings(self, mesh_axis: str, mesh=None) -> tuple[Any, Any]:
        """(batch sharding, replicated sharding) over ``mesh`` (default: all devices on one
        axis called ``mesh_axis``). The batch is split along its leading axis."""
        if mesh is None:
            mesh = jax.sharding.Mesh(np.asarray(jax.devices()), (mesh_axis,))
        P = jax.sharding.PartitionSpec
        return (jax.sharding.NamedSharding(mesh, P(mesh_axis)),
                jax.sharding.NamedSharding(mesh, P()))


register_backend(XlaBackend())
