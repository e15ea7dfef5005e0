"""Primitives: one object per operation.

``core`` knows only what evaluating and type-checking a program needs: the NumPy ``impl``,
the shape/dtype rule, whether there are several results, which sub-programs a primitive
carries and whether it has an effect. Every other rule (derivatives, batching, lowerings)
lives in the table of the transformation or backend that uses it, keyed by the primitive.
"""

from __future__ import annotations

from collections.abc import Callable

from .avals import ShapedArray
from .errors import MissingRuleError
from .ir import params_key
from .trace import bind

_AVALS_CACHE_SIZE = 4096
registry: dict[str, Primitive] = {}   # by name: for listing and coverage tests only


def _no_subprograms(params: dict) -> list:
    return []


class Primitive:
    def __init__(self, name: str, multiple_results: bool = False, *,
                 subprograms: Callable[[dict], list] = _no_subprograms,
                 has_effect: bool = False):
        if name in registry:
            raise ValueError(f"primitive {name!r} is already registered")
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.shape_rule: Callable | None = None
        self.subprograms = subprograms   # params -> the programs an equation carries
        self.has_effect = has_effect     # never removed or shared by dce/CSE
        self._avals_cache: dict = {}    # (input types, params) -> output types
        self._by_identity: dict = {}    # (ids of input avals, params) -> (avals, outputs)
        registry[name] = self

    def __repr__(self) -> str:
        return self.name

    # ``prim.bind(*args, **params)`` is ``trace.bind(prim, ...)`` itself: a Python frame less
    # on every operation traced
    bind = bind

    @property
    def higher_order(self) -> bool:
        """Whether equations of this primitive carry sub-programs."""
        return self.subprograms is not _no_subprograms

    def abstract_eval(self, *avals: ShapedArray, **params) -> list[ShapedArray]:
        """The output types, memoized per input types and params: staging and the type
        checker ask once per equation, mostly the same question, and mostly with the same
        aval objects (the memo's own outputs), so those are looked up by identity first."""
        return list(self.out_types(avals, params))

    def out_types(self, avals: tuple, params: dict) -> tuple | list:
        """``abstract_eval`` without the argument packing (staging calls it per equation);
        the result is shared: do not change it."""
        if self.subprograms is not _no_subprograms:
            return self._shape(avals, params)
        pkey = params_key(params) if params else ()
        if pkey is None:
            return self._shape(avals, params)
        try:
            n = len(avals)
            by_id = ((id(avals[0]), pkey) if n == 1 else
                     (id(avals[0]), id(avals[1]), pkey) if n == 2 else
                     (*map(id, avals), pkey))
            hit = self._by_identity.get(by_id)
        except TypeError:
            return self._shape(avals, params)
        if hit is not None:
            return hit[1]
        key = (tuple([(a.shape, a.dtype, a.weak_type) if a.__class__ is ShapedArray
                      else a for a in avals]), pkey)
        try:
            out = self._avals_cache.get(key)
        except TypeError:
            return self._shape(avals, params)
        if out is None:
            out = tuple(self._shape(avals, params))
            if len(self._avals_cache) >= _AVALS_CACHE_SIZE:
                self._avals_cache.clear()
            self._avals_cache[key] = out
        if len(self._by_identity) >= _AVALS_CACHE_SIZE:
            self._by_identity.clear()
        # the entry holds the avals, so no other object can take their ids while it lives
        self._by_identity[by_id] = (avals, out)
        return out

    def _shape(self, avals: tuple, params: dict) -> list[ShapedArray]:
        if self.shape_rule is None:
            raise MissingRuleError(f"primitive `{self.name}` has no shape rule")
        out = self.shape_rule(*avals, **params)
        return list(out) if self.multiple_results else [out]

    def def_impl(self, fn: Callable) -> Callable:
        self.impl = fn
        return fn

    def def_shape(self, fn: Callable) -> Callable:
        self.shape_rule = fn
        return fn


def program_params(params: dict) -> list:
    """``subprograms`` of a primitive whose one program is ``params["program"]``."""
    return [params["program"]]
