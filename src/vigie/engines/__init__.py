"""Framework-free cores (CPE, versions, matching, feed and inventory parsing, SSVC).

Nothing under this package imports Django: the engines run in the offline CLI, in benchmarks
and inside the platform alike. tests/test_architecture.py enforces it.
"""
