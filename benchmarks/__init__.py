"""Load scenarios that print figures (not run in CI); see benchmarks/README.md."""
