"""``lintra.scipy``: SciPy-style functions (``special``, ``stats``) built on lintra's
primitives. Needs SciPy: ``pip install lintra[scipy]``."""

from . import special, stats  # noqa: F401
