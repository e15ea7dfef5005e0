"""Pytrees: nested tuples, lists, dicts, None, namedtuples, dataclasses and registered types.

``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves)``. A treedef is hashable
so it can key caches (``jit``).
"""

from __future__ import annotations

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


def register_dataclass(cls: type, data_fields: list[str] | None = None,
                       meta_fields: list[str] | None = None) -> type:
    """Register a dataclass: ``data_fields`` are pytree children, ``meta_fields`` static aux.
    Unregistered dataclasses are flattened over all their fields."""
    names = [f.name for f in dataclasses.fields(cls)]
    data = list(names if data_fields is None else data_fields)
    meta = list([] if meta_fields is None else meta_fields)

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
    return cls


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda t: (list(t), None), lambda _, c: list(c))
register_pytree_node(dict, lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                     lambda keys, c: dict(zip(keys, c)))
register_pytree_node(type(None), lambda _: ([], None), lambda _, c: None)


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


def flatten(tree: Any) -> tuple[list, PyTreeDef]:
    leaves: list = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def _flatten(x, leaves) -> PyTreeDef:
    nt = _node_type(x)
    if nt is None:
        leaves.append(x)
        return _LEAF
    children, aux = nt.to_iterable(x)
    key = type(x) if type(x) in _registry else (type(x), "namedtuple")
    return PyTreeDef(key, aux, tuple(_flatten(c, leaves) for c in children))


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


def tree_map(f: Callable, tree: Any, *rest: Any) -> Any:
    leaves, td = flatten(tree)
    others = [flatten(r)[0] for r in rest]
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
