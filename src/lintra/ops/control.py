"""Control flow as higher-order primitives: cond, scan, while_loop."""
