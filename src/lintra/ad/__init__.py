"""Derivative transformations: jvp, linearize (jvp + partial evaluation), unzip, transpose."""
