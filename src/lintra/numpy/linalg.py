"""lintra.numpy.linalg (see ops/linalg.py)."""
