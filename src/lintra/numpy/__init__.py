"""``lintra.numpy``: NumPy-style functions that bind lintra primitives.

Works on NumPy arrays, Python numbers and lintra's traced values alike; results are NumPy
arrays when nothing is being traced. Operators and methods of traced values (``x + y``,
``x.sum()``, ``x[i]``) run the functions of this namespace (``core.trace`` defines them).
"""

import sys as _sys

from ..core import trace as _trace
from . import linalg  # noqa: F401  (lintra.numpy.linalg)
from ._basic import *  # noqa: F401,F403
from ._elementwise import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._reductions import *  # noqa: F401,F403
from ._structure import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403

_trace.array_namespace = _sys.modules[__name__]
