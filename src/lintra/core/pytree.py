"""Pytrees: nested tuples, lists, dicts, None, namedtuples, dataclasses and registered types.

``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves)``. A treedef is hashable
so it can key caches (``jit``).
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple


class _NodeType(NamedTuple):
    to_iterable: Callable[[Any], tuple[list, Any]]   # node -> (children, aux data)
    from_iterable: Callable[[Any, list], Any]        # (aux, children) -> node


_registry: dict[type, _NodeType] = {}


def register_pytree_node(cls: type, flatten_fn: Callable, unflatten_fn: Callable) -> None:
    """Register a container type: ``flatten_fn(x) -> (children, aux)``,
    ``unflatten_fn(aux, children) -> x``. ``aux`` must be hashable."""
    _registry[cls] = _NodeType(flatten_fn, unflatten_fn)


_field_names: dict[type, list[str]] = {}       # a dataclass's children, for error paths


def register_dataclass(cls: type, data_fields: list[str] | None = None,
                       meta_fields: list[str] | None = None) -> type:
    """Register a dataclass: ``data_fields`` are pytree children, ``meta_fields`` static aux
    (part of the tree structure: hashable, compared, never traced). By default a field is
    static when declared ``dataclasses.field(metadata=dict(static=True))`` and a child
    otherwise. Unregistered dataclasses are flattened the same way."""
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    static = [f.name for f in fields if f.metadata.get("static", False)]
    if data_fields is None:
        data = [n for n in names if n not in static and n not in (meta_fields or ())]
    else:
        data = list(data_fields)
    meta = list(meta_fields if meta_fields is not None else
                [n for n in names if n not in data])

    def flat(x):
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def unflat(aux, children):
        kw = dict(zip(data, children))
        kw.update(zip(meta, aux))
        obj = object.__new__(cls)
        for k, v in kw.items():
            object.__setattr__(obj, k, v)
        return obj

    register_pytree_node(cls, flat, unflat)
    _field_names[cls] = data
    return cls


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda t: (list(t), None), lambda _, c: list(c))
register_pytree_node(dict, lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                     lambda keys, c: dict(zip(keys, c)))
register_pytree_node(type(None), lambda _: ([], None), lambda _, c: None)
# as JAX: an OrderedDict keeps its insertion order; a defaultdict keeps its factory
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), tuple(d)),
                     lambda keys, c: collections.OrderedDict(zip(keys, c)))
register_pytree_node(collections.defaultdict,
                     lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
                     lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)))


def _node_type(x: Any) -> _NodeType | None:
    t = type(x)
    nt = _registry.get(t)
    if nt is not None:
        return nt
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        return _NodeType(lambda t: (list(t), None), lambda _, c, _t=t: _t(*c))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        register_dataclass(t)
        return _registry[t]
    return None


class PyTreeDef:
    __slots__ = ("node_type", "aux", "children", "num_leaves", "_hash")

    def __init__(self, node_type, aux, children: tuple):
        self.node_type = node_type   # None for a leaf
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in children)
        self._hash = hash((node_type, aux, children))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return (isinstance(other, PyTreeDef) and self._hash == other._hash
                and self.node_type == other.node_type and self.aux == other.aux
                and self.children == other.children)

    def __repr__(self) -> str:
        if self.node_type is None:
            return "*"
        name = getattr(self.node_type, "__name__", str(self.node_type))
        return f"{name}({', '.join(map(repr, self.children))})"


_LEAF = PyTreeDef(None, None, ())


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    leaves: list = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def _flatten(x, leaves, is_leaf=None) -> PyTreeDef:
    nt = None if is_leaf is not None and is_leaf(x) else _node_type(x)
    if nt is None:
        leaves.append(x)
        return _LEAF
    children, aux = nt.to_iterable(x)
    key = type(x) if type(x) in _registry else (type(x), "namedtuple")
    return PyTreeDef(key, aux, tuple(_flatten(c, leaves, is_leaf) for c in children))


def _flatten_up_to(td: PyTreeDef, x, out: list, where: str) -> None:
    """The subtrees of ``x`` at the leaves of ``td`` (``td`` a prefix of ``x``'s structure)."""
    if td.node_type is None:
        out.append(x)
        return
    nt = _node_type(x)
    key = type(x) if type(x) in _registry else (type(x), "namedtuple")
    children, aux = nt.to_iterable(x) if nt is not None else ([], None)
    if nt is None or key != td.node_type or aux != td.aux or len(children) != len(
            td.children):
        at = where or "the root"
        raise ValueError(f"tree_map: a tree of structure {tree_structure(x)} at {at} does "
                         f"not match the first tree's {td}")
    for label, c, ctd in zip(_labels(x, len(children)), children, td.children):
        _flatten_up_to(ctd, c, out, where + label)


def _labels(x, n: int) -> list[str]:
    if isinstance(x, dict):
        return [f"[{k!r}]" for k in (x if type(x) is collections.OrderedDict else sorted(x))]
    names = _field_names.get(type(x)) or getattr(x, "_fields", None)
    if names:
        return [f".{k}" for k in names]
    return [f"[{i}]" for i in range(n)]


def leaf_paths(tree: Any, prefix: str = "") -> list[str]:
    """Where each leaf of ``tree`` sits (``[0].weights``, ``['k']``): for error messages."""
    nt = _node_type(tree)
    if nt is None:
        return [prefix]
    children, _ = nt.to_iterable(tree)
    return [p for label, c in zip(_labels(tree, len(children)), children)
            for p in leaf_paths(c, prefix + label)]


def unflatten(treedef: PyTreeDef, leaves) -> Any:
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td: PyTreeDef, it):
    if td.node_type is None:
        return next(it)
    children = [_unflatten(c, it) for c in td.children]
    if isinstance(td.node_type, tuple):            # namedtuple
        return td.node_type[0](*children)
    return _registry[td.node_type].from_iterable(td.aux, children)


def tree_map(f: Callable, tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``f`` applied to every leaf of ``tree`` (JAX's ``tree_map``): a tree of the same
    structure holding ``f(leaf, *others)``, where ``others`` are the subtrees of each tree in
    ``rest`` at that leaf's position (``tree``'s structure must be a prefix of theirs).
    ``is_leaf(node) -> bool`` stops flattening at the nodes it accepts, which ``f`` then
    receives whole (e.g. ``is_leaf=lambda x: isinstance(x, tuple)``)."""
    leaves, td = flatten(tree, is_leaf)
    others = []
    for r in rest:
        out: list = []
        _flatten_up_to(td, r, out, "")
        others.append(out)
    return unflatten(td, [f(x, *ys) for x, *ys in zip(leaves, *others)])


def tree_leaves(tree: Any) -> list:
    return flatten(tree)[0]


def tree_structure(tree: Any) -> PyTreeDef:
    return flatten(tree)[1]


def node_children(x: Any) -> tuple[list, Any] | None:
    """``(children, node key)`` of a container node (the key compares equal for nodes of one
    type and static data), or None for a leaf."""
    nt = _node_type(x)
    if nt is None:
        return None
    children, aux = nt.to_iterable(x)
    return list(children), (type(x), aux)
