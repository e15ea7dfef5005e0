"""``lintra.scipy``: SciPy-style functions that bind lintra primitives."""

from . import linalg  # noqa: F401
