"""Benchmarks: asyncconsole and its baseline measured side by side in one run, ratios printed."""
