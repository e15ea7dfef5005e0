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
        self._avals_cache: dict = {}
        registry[name] = self

    def __repr__(self) -> str:
        return self.name

    def bind(self, *args, **params):
        return bind(self, *args, **params)

    @property
    def higher_order(self) -> bool:
        """Whether equations of this primitive carry sub-programs."""
        return self.subprograms is not _no_subprograms

    def abstract_eval(self, *avals: ShapedArray, **params) -> list[ShapedArray]:
        """The output types (memoized per input types and params: staging and the type
        checker ask once per equation, mostly the same question)."""
        key = None
        if not self.higher_order:
            try:
                key = (tuple([(a.shape, a.dtype, a.weak_type) if a.__class__ is ShapedArray
                              else a for a in avals]),
                       tuple(sorted(params.items())) if params else ())
                hit = self._avals_cache.get(key)
            except TypeError:
                key = hit = None
            if hit is not None:
                return list(hit)
        if self.shape_rule is None:
            raise MissingRuleError(f"primitive `{self.name}` has no shape rule")
        out = self.shape_rule(*avals, **params)
        out = list(out) if self.multiple_results else [out]
        if key is not None:
            if len(self._avals_cache) >= _AVALS_CACHE_SIZE:
                self._avals_cache.clear()
            self._avals_cache[key] = tuple(out)
        return out

    def def_impl(self, fn: Callable) -> Callable:
        self.impl = fn
        return fn

    def def_shape(self, fn: Callable) -> Callable:
        self.shape_rule = fn
        return fn


def program_params(params: dict) -> list:
    """``subprograms`` of a primitive whose one program is ``params["program"]``."""
    return [params["program"]]
