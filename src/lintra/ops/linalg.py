"""Linear algebra primitives: dot_general, cholesky, triangular_solve, solve, ..."""
