"""shipgraph's benchmarks: `make bench` (``python -m bench``) from the repository root.

Every figure is printed as a ratio against a baseline measured in the same run,
with absolute medians for context. See docs/benchmarks.md.
"""
