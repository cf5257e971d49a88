"""slmbib's benchmarks: ``python -m benchmarks`` runs them all and prints one table.

They live outside the test suite on purpose: figures on a shared machine are
noisy, so they are reported as medians and as ratios against baselines timed
in the same run, never asserted in a unit test.
"""
