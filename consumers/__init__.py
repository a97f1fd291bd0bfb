"""Readers of Omega's outputs: trends, dead letters, backtests."""
