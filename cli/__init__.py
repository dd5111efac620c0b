"""The composition root: idgraph's command lines, outside the library's import graph.

`cli.main` is the `idgraph` command (generate, validate, sql, row, and the profile, bench
and ui commands it wires in from `cli.profile`, `bench` and `ui`); `cli.submit` runs the
generator on a Spark cluster or over Spark Connect. Only this package wires the engine to
its clients (ui, bench): `engine` imports none of them, and ui and bench use only the
names `engine` exports (the import-linter contracts in pyproject.toml,
enforced by tests/test_architecture.py).
"""
