"""Tracing machinery: a stack of interpreters (traces), tracers that box values, and ``bind``.

Each transformation (jvp, partial evaluation, staging, ...) is a ``Trace`` at a level of the
stack. ``bind`` hands a primitive application to the highest-level trace among its arguments;
lower-level values are lifted into it. Levels are what keep nested derivatives apart
(no perturbation confusion): a tracer only ever meets tracers of its own or lower levels.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import function
from .avals import ShapedArray, concrete_aval
from .errors import ConcretizationError, UnexpectedTracerError, user_frame_summary
from .function import FnValue


class MainTrace:
    __slots__ = ("level", "trace_type", "data", "finished")

    def __init__(self, level: int, trace_type: type, data: Any = None):
        self.level = level
        self.trace_type = trace_type
        self.data = data
        self.finished = False       # set when popped: its tracers must not be used again

    def __repr__(self) -> str:
        return f"MainTrace({self.level}, {self.trace_type.__name__})"


def trace_stack() -> list[MainTrace]:
    return _state.stack


@contextmanager
def new_main(trace_type: type, data: Any = None):
    stack = _state.stack
    main = MainTrace(len(stack), trace_type, data)
    stack.append(main)
    try:
        yield main
    finally:
        stack.pop()
        main.finished = True


def escaped_error(main: MainTrace) -> UnexpectedTracerError:
    """The error for using a tracer of a transformation that has finished."""
    where = user_frame_summary()
    return UnexpectedTracerError(
        f"a traced value escaped the transformation that created it ("
        f"{main.trace_type.transformation}, level {main.level}) and was used after it "
        f"finished{' at ' + where if where else ''}; do not keep traced values in globals or "
        "closures that outlive the transformed call (return them instead)")


@contextmanager
def inherit_stack(stack: list[MainTrace]):
    """Run on another thread with a copy of a parent's trace stack (used by fork/join)."""
    old = _state.stack
    _state.stack = list(stack)
    try:
        yield
    finally:
        _state.stack = old


class Trace:
    __slots__ = ("main",)
    transformation = "a transformation"      # how errors name it
    stages_constants = False                 # its programs keep the values it is given
    # its process_primitive binds nothing (no rule runs): the user's source line is found
    # from its own frame, so bind need not note where the user's operation started
    binds_nothing = False
    # why a traced value has no concrete value here, and what to do instead
    unknown_because = (
        "Its value is not known while the program is being staged (under `jit`, "
        "`make_program` or a `fn`). Use `lintra.cond` for data-dependent branches, "
        "`lintra.fori_loop` / `lintra.scan` for loops and `lintra.while_loop` for "
        "data-dependent loop counts; or mark the argument static with `static_argnums`.")


    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, val: Any) -> Tracer:
        raise NotImplementedError

    def lift(self, val: Tracer) -> Tracer:
        return self.pure(val)

    def process_primitive(self, prim, tracers: list, params: dict) -> list:
        raise NotImplementedError

    def concrete(self, tracer: Tracer) -> Any:
        """The concrete value behind a tracer, or a ConcretizationError."""
        err = ConcretizationError(_concretization_message(tracer, self))
        err.trace = self
        raise err


def _concretization_message(tracer, trace, what: str = "a concrete value") -> str:
    where = user_frame_summary()
    msg = (f"a traced value of type {tracer.aval.str_short()} was used where Python needs "
           f"{what}")
    if where:
        msg += f" in your function at {where}"
    return msg + f", under {trace.transformation}. " + trace.unknown_because


class Tracer:
    """A boxed value flowing through a trace. Operators follow ``lintra.numpy``."""

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    def full_lower(self) -> Any:
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return self.aval.ndim

    @property
    def size(self) -> int:
        return self.aval.size

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of a 0-d (scalar) value")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d (scalar) value")
        return (self[i] for i in range(self.aval.shape[0]))

    def _concrete(self, what: str) -> Any:
        try:
            return self._trace.concrete(self)
        except ConcretizationError as e:
            trace = getattr(e, "trace", self._trace)     # the trace that has no value
            err = ConcretizationError(_concretization_message(self, trace, what))
            err.trace = trace
            raise err from e.__cause__

    def __bool__(self) -> bool:
        return bool(self._concrete("a Python bool (an `if`, `while`, `and`/`or`)"))

    def __float__(self) -> float:
        return float(self._concrete("a Python float"))

    def __int__(self) -> int:
        return int(self._concrete("a Python int"))

    def __index__(self) -> int:
        if self.aval.dtype.kind not in "iub":
            raise TypeError(f"only integer values can be used as an index, not "
                            f"{self.aval.str_short()}")
        return int(self._concrete("a Python int (indexing a Python list or range)"))

    def __format__(self, spec: str) -> str:
        """``f"{x:.3f}"`` formats the value (known in eager mode; under ``jit`` it is a
        ConcretizationError: use ``lintra.debug_print`` to print at run time)."""
        if not spec:
            return str(self)
        v = self._concrete(f"a value to format with {spec!r} (use lintra.debug_print to "
                           "print traced values at run time)")
        return format(v.item() if isinstance(v, np.ndarray) and v.shape == () else v, spec)

    def __complex__(self) -> complex:
        return complex(self._concrete("a Python complex"))

    def __array__(self, dtype=None, copy=None):
        hint = ""
        if self.aval.dtype.kind in "iu":
            hint = (" If you are indexing a NumPy array with a traced index, use "
                    "`lintra.numpy.take(array, i)` (or index a lintra value).")
        raise TypeError(
            f"a lintra value ({self.aval.str_short()}) was converted to a NumPy array, which "
            "would silently drop its derivative: call the function from `lintra.numpy` "
            "instead of `numpy`, or use float(x) when you really want the value." + hint)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy ufuncs (and operators with a NumPy array on the left) dispatch here: lintra
        # sees them, so they run as the lintra.numpy function of the same name.
        fn = getattr(array_namespace, _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__), None)
        if method == "__call__" and not kwargs and fn is not None:
            return fn(*inputs)
        raise TypeError(
            f"NumPy's `{ufunc.__name__}` (method {method!r}) was called on a lintra value, "
            f"which lintra cannot differentiate: use `lintra.numpy` instead")

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        where = "lintra.numpy.linalg" if "linalg" in str(func.__module__) else "lintra.numpy"
        ns = array_namespace if where == "lintra.numpy" else getattr(array_namespace,
                                                                      "linalg", None)
        hint = (f"use `{where}.{name}` instead" if hasattr(ns, name) else
                f"{where} has no equivalent of it (write it with {where} functions)")
        raise TypeError(f"NumPy's `{name}` was called on a lintra value, which lintra cannot "
                        f"see or differentiate: {hint}")

    def __hash__(self) -> int:
        raise TypeError("lintra values are not hashable")

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.aval.str_short()}>"


_UFUNC_ALIASES = {"true_divide": "divide", "absolute": "abs", "conjugate": "conjugate"}

# The NumPy-style namespace (``lintra.numpy``) that operators and methods on traced values
# follow. ``core`` does not import it (it sits above core); it registers itself on import.
array_namespace: Any = None
# The same functions without the namespace's wrappers (which apply them pointwise to function
# values and view concrete results as ``Array``s), filled in by the namespace: an operator
# between tracers of arrays and numbers needs neither, and tracing runs thousands of them.
direct_functions: dict[str, Any] = {}
# Operators whose value on two tracers of one strong dtype is one equation of a primitive
# (``add``: ``add_p``), filled in by the layer that defines the primitive.
direct_primitives: dict[str, Any] = {}


def same_type_tracers(x: Any, y: Any) -> bool:
    """``x`` and ``y`` are tracers of arrays of one strong dtype: a binary op binds them as
    they are (the case tracing meets thousands of times)."""
    if not (isinstance(x, Tracer) and isinstance(y, Tracer)):
        return False
    a, b = x.aval, y.aval
    return (a.__class__ is ShapedArray and b.__class__ is ShapedArray
            and (a.dtype is b.dtype or a.dtype == b.dtype)
            and not a.weak_type and not b.weak_type)


def get_aval(x: Any) -> ShapedArray:
    if isinstance(x, Tracer):
        return x.aval
    return concrete_aval(x)


def find_top_trace(args) -> Trace:
    """The trace of the highest-level tracer among ``args`` (a trace object holds only its
    main, so the tracer's own is reused), or evaluation."""
    top = None
    captures = False
    for x in args:
        if isinstance(x, Tracer):
            t = x._trace
            if top is None or t.main.level > top.main.level:
                top = t
        elif x.__class__ is FnValue and x.captures:
            captures = True
    if top is None:
        return _EVAL_TRACE          # function values of traced values stay closures
    if captures:                    # meeting a tracer, they must be raised into its trace
        for x in args:
            if x.__class__ is FnValue:
                for c in x.captures:
                    if c._trace.main.level > top.main.level:
                        top = c._trace
    if top.main.finished:
        raise escaped_error(top.main)
    return top


def full_raise(trace: Trace, val: Any) -> Tracer:
    if not isinstance(val, Tracer):
        if val.__class__ is FnValue and val.captures and _must_convert(trace, val):
            # a function that reads values traced here: as an operator applied to them, so
            # their derivatives (and their staging) are not lost
            return full_raise(trace, function.closure_convert(val))
        return trace.pure(val)
    main = val._trace.main
    if main is trace.main:
        return val
    if main.level < trace.main.level and not main.finished:
        return trace.lift(val)
    raise escaped_error(main)


def _must_convert(trace: Trace, val: FnValue) -> bool:
    """A function value that reads traced values is a plain closure to traces above them; to
    their own trace, or to staging (whose programs outlive it), it is converted."""
    if trace.stages_constants:
        return True
    level = trace.main.level
    return any(isinstance(c, Tracer) and c._trace.main.level >= level for c in val.captures)


def full_lower(val: Any) -> Any:
    if isinstance(val, Tracer):
        return val.full_lower()
    return val


def bind(prim, *args, **params):
    """Apply primitive ``prim``: dispatch to the top trace among ``args``."""
    trace = _common_trace(args)
    if trace is not None:       # the hot case: tracers of one live trace (and NumPy arrays)
        tracers = list(args)
        for i, a in enumerate(tracers):
            if not isinstance(a, Tracer):
                tracers[i] = trace.pure(a)
    else:
        trace = find_top_trace(args)
        if trace is _EVAL_TRACE:
            try:
                return prim.impl(*args, **params)
            except (ValueError, TypeError, IndexError) as e:
                raise type(e)(f"in `{prim.name}`: {e}") from e
        tracers = [full_raise(trace, a) for a in args]
    capturing = _state.capturing
    if capturing is not None and trace.main.level < capturing.main.level \
            and trace is not _EVAL_TRACE and capturing.main is _state.stack[-1]:
        trace = capturing           # a branch's work on a value it closes over: staged in it
        tracers = [full_raise(trace, a) for a in args]
    if trace.binds_nothing:     # staging: its tracers are never lowered
        outs = trace.process_primitive(prim, tracers, params)
        return outs if prim.multiple_results else outs[0]
    state = _state
    if state.in_bind:
        outs = trace.process_primitive(prim, tracers, params)
    else:                 # an operation of the user's: its rules' binds share its source
        state.in_bind = True
        state.frame = sys._getframe(1)      # where the search for the user's line starts
        try:
            outs = trace.process_primitive(prim, tracers, params)
        finally:
            state.in_bind = False
            state.source = state.frame = None
    if prim.multiple_results:
        return [full_lower(o) for o in outs]
    out = outs[0]
    return out.full_lower() if isinstance(out, Tracer) else out


def _common_trace(args) -> Trace | None:
    """The trace of ``args`` when every one is a tracer of one live trace or a NumPy array,
    else None (then ``find_top_trace`` and ``full_raise`` sort them out)."""
    trace = None
    for x in args:
        if not isinstance(x, Tracer):
            if x.__class__ is np.ndarray:
                continue
            return None
        t = x._trace
        if trace is None:
            trace = t
        elif t.main is not trace.main:
            return None
    if trace is None or trace.main.finished:
        return None
    return trace


class EvalTrace(Trace):
    """Level 0: evaluate primitives on concrete NumPy values."""

    __slots__ = ()
    transformation = "evaluation"

    def pure(self, val):
        return val

    lift = pure

    def process_primitive(self, prim, tracers, params):
        out = prim.impl(*tracers, **params)
        return out if prim.multiple_results else [out]


class _State(threading.local):
    def __init__(self):
        self.stack: list[MainTrace] = [MainTrace(0, EvalTrace)]
        self.in_bind = False        # inside the outermost bind of a user's operation
        self.source: str | None = None
        self.frame: Any = None      # the frame that made that bind
        self.capturing: Any = None  # a staging trace that takes in what its branch closes over


def call_with_source(source: str | None, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` as if it were the user's operation at ``source``: equations it
    stages record that line (a transformation replaying an equation passes the equation's
    own source, so derived programs point at the user's code)."""
    state = _state
    saved = state.in_bind, state.source
    state.in_bind, state.source = True, source
    try:
        return fn(*args, **kwargs)
    finally:
        state.in_bind, state.source = saved


@contextmanager
def capturing(trace: Trace):
    """While ``trace`` (staging a ``cond`` branch) is the innermost, operations on values of
    lower traces that the branch closes over are staged in it, those values becoming its
    inputs (JAX's dynamic tracing): hoisted out, they would run whichever branch is taken,
    and a singular derivative of the other branch (sqrt at 0) would make the gradient NaN."""
    saved, _state.capturing = _state.capturing, trace
    try:
        yield
    finally:
        _state.capturing = saved


def source_line(frame=None) -> str | None:
    """The user's source line of the operation being traced (for ``Eqn.source``): found once
    per user operation, however many equations its rules stage (a frame walk each cost a
    quarter of staging a large gradient). Outside a user's operation, the search starts at
    ``frame`` (the caller's, by default)."""
    state = _state
    if not state.in_bind:
        return user_frame_summary(frame=sys._getframe(1) if frame is None else frame)
    if state.source is None:
        state.source = user_frame_summary(frame=state.frame)
    return state.source


_state = _State()
_EVAL_TRACE = EvalTrace(_state.stack[0])
