"""Devices through the ``xla`` backend: moving values to a device and data-parallel
execution over many devices. lintra builds no runtime of its own: these are thin uses of
JAX's sharding API (``jax.sharding``), and run on several hosts once
``jax.distributed.initialize()`` has been called in each process (see the README)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from .backends import get_backend
from .core.pytree import tree_map
from .jit import jit


def device_put(x: Any, device: Any = None) -> Any:
    """``x`` (a pytree of arrays) as JAX arrays on ``device`` (a ``jax.Device`` or a
    ``jax.sharding.Sharding``; default: JAX's default device), float64 kept. Pass them to
    functions jitted with ``backend="xla", keep_on_device=True`` to avoid a transfer per
    call."""
    xla = get_backend("xla")
    return tree_map(lambda v: xla.device_put(v, device), x)


def data_parallel(fun: Callable, mesh_axis: str = "data", *,
                  batch_argnums: int | Sequence[int] = 1, mesh: Any = None,
                  keep_on_device: bool = False) -> Callable:
    """``fun`` jitted on XLA with the arguments at ``batch_argnums`` (default: the second,
    as in ``grad_fn(params, batch)``) split along their leading axis over the devices of
    ``mesh`` (default: every device, on one axis called ``mesh_axis``) and every other
    argument and the results replicated. For a gradient of a loss summed or averaged over
    the batch, XLA computes each device's part and all-reduces it. The batch size must be
    divisible by the number of devices on ``mesh_axis``. On several hosts each process
    calls it with its own part of the batch (after ``jax.distributed.initialize()``)."""
    xla = get_backend("xla")
    batch, replicated = xla.data_parallel_shardings(mesh_axis, mesh)
    nums = (batch_argnums,) if isinstance(batch_argnums, int) else tuple(batch_argnums)
    jitted: dict[int, Callable] = {}

    @functools.wraps(fun)
    def wrapped(*args):
        want = {n % len(args) for n in nums}
        shardings = tuple(batch if i in want else replicated for i in range(len(args)))
        f = jitted.get(len(args))
        if f is None:
            f = jitted[len(args)] = jit(fun, backend="xla", in_shardings=shardings,
                                        out_shardings=replicated,
                                        keep_on_device=keep_on_device)
        # each process passes its own part of the batch (all of it on one host)
        return f(*[tree_map(lambda v, s=s: xla.device_put(v, s), a)
                   for a, s in zip(args, shardings)])

    return wrapped
