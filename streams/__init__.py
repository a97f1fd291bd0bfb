"""The Faust worker: validate deltas, bound each device, count per window, release with DP noise."""
