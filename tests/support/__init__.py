"""Test support code, importable as `support` (pyproject.toml's [tool.pytest.ini_options] pythonpath = ["tests"];
scripts/benchmark.py puts tests/ on sys.path the same way). Not part of the justice_tracker package."""
