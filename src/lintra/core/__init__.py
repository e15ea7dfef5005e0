"""Types, IR, tracing machinery, primitive registry and pytrees."""
