"""``lintra.numpy``: NumPy-style functions that bind lintra primitives.

Works on NumPy arrays, Python numbers and lintra's traced values alike; results are NumPy
arrays when nothing is being traced.
"""

from . import linalg  # noqa: F401  (lintra.numpy.linalg)
from ._basic import *  # noqa: F401,F403
from ._elementwise import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._operators import install as _install
from ._reductions import *  # noqa: F401,F403
from ._structure import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403

_install()
del _install


def _register() -> None:
    import sys

    from ..core import trace
    trace.numpy_namespace = sys.modules[__name__]


_register()
del _register
