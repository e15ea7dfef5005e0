"""``ravel_pytree``: a pytree of arrays as one flat vector, and the function back (JAX's
``jax.flatten_util``). Both directions are lintra operations, so they can be traced and
differentiated (an optimizer over a flat vector differentiates through ``unravel``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import numpy as lnp
from .core.pytree import flatten, unflatten
from .core.trace import get_aval
from .ops import base


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(flat, unravel)``: the leaves raveled and concatenated in ``flatten`` order, in
    their common dtype (NumPy's promotion; float64 for no leaves), and the inverse that
    splits a vector of that shape and dtype back into the tree (each leaf in its own
    dtype)."""
    leaves, tree = flatten(pytree)
    avals = [get_aval(lnp.asarray(v)) for v in leaves]
    dtype = np.result_type(*[a.dtype for a in avals]) if avals else np.dtype(np.float64)
    sizes = [a.size for a in avals]
    total = int(sum(sizes))
    if leaves:
        flat = lnp.concatenate([lnp.ravel(base.convert_element_type(lnp.asarray(v), dtype))
                                for v in leaves])
    else:
        flat = np.zeros(0, dtype)

    def unravel(arr):
        aval = get_aval(lnp.asarray(arr))
        if aval.shape != (total,):
            raise ValueError(f"unravel: expected an array of shape {(total,)} (the size of "
                             f"the raveled pytree), got {aval.shape}")
        if aval.dtype != dtype:
            raise TypeError(f"unravel: expected an array of dtype {dtype} (the dtype of the "
                            f"raveled pytree), got {aval.dtype}")
        out, start = [], 0
        for a, n in zip(avals, sizes):
            piece = lnp.reshape(arr[start:start + n], a.shape)
            out.append(base.convert_element_type(piece, a.dtype) if a.dtype != dtype
                       else piece)
            start += n
        return unflatten(tree, out)

    return flat, unravel
