"""Differential privacy: the noise (`noise`, `gaussian`), which keys a release may name
(`selection`), the per-unit ledger that caps spending (`ledger`), the noise of sums over
windows (`ranges`, `above_noise`) and what a unit can lose over time (`accounting`).
Pure functions, seedable, tested against known answers (tests/omega/test_dp.py and the
empirical audits). Accounting reads the mechanisms, never the other way round (an
import contract in pyproject.toml)."""
