import dataclasses
from collections import namedtuple

import numpy as np

import lintra as lt
import lintra.numpy as lnp
from lintra.core.pytree import flatten, unflatten

Point = namedtuple("Point", ["x", "y"])


@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: float


class Custom:
    def __init__(self, a, b):
        self.a, self.b = a, b


lt.register_pytree_node(Custom, lambda c: ([c.a, c.b], None), lambda _, ch: Custom(*ch))


def test_roundtrip_of_all_container_kinds():
    tree = {"a": [1.0, (2.0, None)], "p": Point(3.0, 4.0), "d": Params(np.ones(2), 5.0),
            "c": Custom(6.0, 7.0)}
    leaves, td = flatten(tree)
    assert len(leaves) == 8
    back = unflatten(td, leaves)
    assert back["p"] == Point(3.0, 4.0) and isinstance(back["d"], Params)
    assert back["c"].b == 7.0
    assert flatten(tree)[1] == td and hash(flatten(tree)[1]) == hash(td)


def test_grad_over_pytrees():
    def loss(params: Params, pt: Point):
        return lnp.sum(params.w * pt.x) + params.b * pt.y

    g = lt.grad(loss)(Params(np.array([1.0, 2.0]), 3.0), Point(2.0, 5.0))
    assert isinstance(g, Params)
    np.testing.assert_array_equal(g.w, [2.0, 2.0])
    assert g.b == 5.0
    gp = lt.grad(loss, argnums=1)(Params(np.array([1.0, 2.0]), 3.0), Point(2.0, 5.0))
    assert isinstance(gp, Point) and gp.x == 3.0 and gp.y == 3.0


def test_jit_and_jvp_over_pytrees():
    f = lt.jit(lambda d: {"s": d["a"] * d["b"], "t": [d["a"]]})
    out = f({"a": 2.0, "b": 3.0})
    assert out["s"] == 6.0 and out["t"][0] == 2.0
    _, t = lt.jvp(lambda c: c.a * c.b, (Custom(2.0, 3.0),), (Custom(1.0, 0.0),))
    assert t == 3.0


def test_register_dataclass_with_static_fields():
    @dataclasses.dataclass
    class Layer:
        w: np.ndarray
        name: str

    lt.register_dataclass(Layer, data_fields=["w"], meta_fields=["name"])
    g = lt.grad(lambda l: lnp.sum(l.w ** 2))(Layer(np.array([1.0, 3.0]), "dense"))
    assert g.name == "dense"
    np.testing.assert_array_equal(g.w, [2.0, 6.0])
