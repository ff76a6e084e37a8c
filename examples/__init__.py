"""Runnable examples; `python -m examples` runs each one (CI does)."""
