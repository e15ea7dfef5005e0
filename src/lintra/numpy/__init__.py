"""``lintra.numpy``: NumPy-style functions that bind lintra primitives.

Works on NumPy arrays, Python numbers and lintra's traced values alike. On concrete inputs the
results are ``lintra.numpy.Array``s: NumPy arrays (a subclass, made by a view cast) that also
have JAX's ``.at[idx]`` updates and accept a traced index (see ``core/array.py``); NumPy
scalars stay NumPy scalars. Operators and methods of traced values (``x + y``, ``x.sum()``,
``x[i]``) run the functions of this namespace (``core.trace`` defines them).

``dir(lintra.numpy)`` (and ``dir(lintra.numpy.linalg)``) list the public names only.
"""

import functools as _functools
import sys as _sys
import types as _types

import numpy as _np

from ..core import function as _function
from ..core import operators as _operators
from ..core import trace as _trace
from ..core.array import Array, as_array
from ..core.function import is_function_arg as _is_function_arg
from ..ops.elementwise import NUMPY_NAMES as _UNARY
from . import _linalg_extra, fft, linalg  # noqa: F401  (lintra.numpy.fft, .linalg)
from ._arrayapi import *  # noqa: F401,F403
from ._arraymath import *  # noqa: F401,F403
from ._basic import *  # noqa: F401,F403
from ._bessel import *  # noqa: F401,F403
from ._bits import *  # noqa: F401,F403
from ._complex import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._dtypes import *  # noqa: F401,F403
from ._elementwise import *  # noqa: F401,F403
from ._grids import *  # noqa: F401,F403
from ._histograms import *  # noqa: F401,F403
from ._index_tricks import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._indices import *  # noqa: F401,F403
from ._inplace import *  # noqa: F401,F403
from ._misc import *  # noqa: F401,F403
from ._nanfunctions import *  # noqa: F401,F403
from ._pad import *  # noqa: F401,F403
from ._polynomial import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._searching import *  # noqa: F401,F403
from ._sets import *  # noqa: F401,F403
from ._sorting import *  # noqa: F401,F403
from ._statistics import *  # noqa: F401,F403
from ._structure import *  # noqa: F401,F403
from ._take import *  # noqa: F401,F403
from ._ufuncs import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403

ndarray = Array

# names the submodules import for themselves; getitem/at_property serve x[i] and x.at
_INTERNAL = {"E", "R", "S", "L", "I", "base", "np", "Tracer", "get_aval", "annotations",
             "Any", "Sequence", "Callable", "getitem", "at_property",
             "functools", "operator", "ConcretizationError", "as_array", "C", "F"}


def _concrete_results(fn):
    """``fn`` whose plain NumPy array results become ``Array`` (the function itself, unchanged,
    runs for traced values; the cast is a view)."""
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        if type(out) is _np.ndarray:
            return out.view(Array)
        if isinstance(out, (tuple, list)):
            return as_array(out)
        return out
    wrapper._lintra_concrete = True
    wrapper._lintra_unwrap = fn
    return wrapper


def _pointwise_on_functions(fn):
    """``fn`` (already wrapped) that applies pointwise when an argument is a function value
    (``lintra.functional``); arrays take the original path after one type check per arg."""
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for a in args:
            if _is_function_arg(a):
                return _function.pointwise(fn, args, kwargs)
        return fn(*args, **kwargs)
    wrapper._lintra_concrete = True
    wrapper._lintra_unwrap = fn
    return wrapper


def _publish(module: _types.ModuleType) -> list[str]:
    """Wrap ``module``'s public functions with ``_concrete_results`` (in place) and list its
    public names. The unary float functions cast their own results (their eager fast path
    must not pay for a wrapper)."""
    unary = {id(f) for f in _UNARY.values()}
    names = []
    for name, obj in list(vars(module).items()):
        if name.startswith("_") or name in _INTERNAL or isinstance(obj, _types.ModuleType):
            continue
        names.append(name)
        if callable(obj) and not isinstance(obj, type) and id(obj) not in unary \
                and not hasattr(obj, "_lintra_concrete"):
            setattr(module, name, _concrete_results(obj))
    return sorted(names)


for _name in _linalg_extra.__all__:    # numpy.linalg's compositions of linalg itself
    setattr(linalg, _name, getattr(_linalg_extra, _name))
_LINALG_NAMES = _publish(linalg)
linalg.__dir__ = lambda: list(_LINALG_NAMES)
for _name in _LINALG_NAMES:          # they apply pointwise to function values too
    _obj = getattr(linalg, _name)
    if callable(_obj) and not isinstance(_obj, (type, _types.ModuleType)):
        setattr(linalg, _name, _pointwise_on_functions(_obj))
for _name in linalg.__all__:
    globals()[_name] = getattr(linalg, _name)
_FFT_NAMES = sorted(set(_publish(fft)) & set(fft.__all__))
fft.__dir__ = lambda: list(_FFT_NAMES)
getitem = _concrete_results(getitem)  # noqa: F405
at_property = _concrete_results(at_property)  # noqa: F405
_NAMES = _publish(_sys.modules[__name__]) + ["Array", "fft", "linalg", "ndarray"]
# every function of arrays applies pointwise to function values (lnp.sum(f), lnp.dot(f, g),
# f @ W) except those that make arrays; the unary float functions check for themselves
_MAKERS = {"asarray", "array", "zeros", "ones", "full", "arange", "linspace", "eye",
           "empty", "identity", "meshgrid", "logspace", "geomspace", "tri", "getitem",
           "at_property"}
_UNARY_IDS = {id(f) for f in _UNARY.values()}
for _name in _NAMES:
    _obj = globals().get(_name)
    if (callable(_obj) and not isinstance(_obj, type) and _name not in _MAKERS
            and _name not in linalg.__all__
            and id(_obj) not in _UNARY_IDS and not isinstance(_obj, _types.ModuleType)):
        globals()[_name] = _pointwise_on_functions(_obj)

__all__ = sorted(set(_NAMES) - {"fft", "linalg"})


def __dir__():
    return sorted(set(_NAMES))


def _unwrapped(fn):
    while hasattr(fn, "_lintra_unwrap"):
        fn = fn._lintra_unwrap
    return fn


_trace.array_namespace = _sys.modules[__name__]
_trace.direct_functions.update(
    {name: _unwrapped(globals()[name]) for name in
     [*_operators.BINARY_OPERATORS.values(), *_operators.COMPARISONS.values(), "getitem"]})
