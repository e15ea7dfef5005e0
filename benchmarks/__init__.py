"""lintra's benchmark suite: the ADBench / GradBench problems in lintra (eager and jit), JAX,
PyTorch and HIPS autograd, cross-checked and timed. Run ``python -m benchmarks --help``."""
