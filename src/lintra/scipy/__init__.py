"""``lintra.scipy``: SciPy-style functions (``linalg``, ``special``, ``stats``) built on
lintra's primitives. ``special`` needs SciPy: ``pip install lintra[scipy]``."""

from . import linalg, special, stats  # noqa: F401
