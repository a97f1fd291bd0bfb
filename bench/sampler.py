"""The noise of a window's release: the float sampler Omega ships against an exact one.

Issue 23 asked to choose between OpenDP's exact discrete Laplace (CKS20, integer
arithmetic) and diffprivlib's Geometric on floats with its δ stated, by measuring. Three
samplers draw the same counts' noise, in one run:

- baseline: the unkeyed float path (os.urandom uniforms, diffprivlib's formula), as the
  release drew its noise before keying;
- keyed: the same formula on ChaCha20 uniforms keyed per (stream, window), what the
  release draws now (omega/dp/);
- exact: OpenDP's `make_laplace` on integers (an exact discrete Laplace).

Each at the whole catalog's titles (ggplot2movies: 58,788) and at the pairs of a
1,000,000-device window (~7.3M, bench/release_breakdown.py); the exact sampler on a
1,000,000-value slice of the pairs, scaled, as it alone would take half a minute. The
float path's δ (omega/dp/accounting.py float_sampler_delta) is printed beside them.

    python -m bench.sampler [--pairs 7300000] [--repeats 3]

OpenDP is a benchmark dependency only (`make bench-deps`).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from diffprivlib.mechanisms import Geometric

from bench import results
from omega.dp.noise import KeyedUniforms, float_sampler_delta, geometric_noise

EPSILON, SENSITIVITY, TITLES = 0.1, 10, 58_788


def best_of(repeats: int, draw: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        draw()
        times.append(time.perf_counter() - started)
    return min(times)


def exact_sampler(scale: float) -> Callable[[int], object]:
    import opendp.prelude as dp  # noqa: PLC0415 - a benchmark dependency only

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=scale)
    return lambda size: measurement([0] * size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=7_300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--exact-slice", type=int, default=1_000_000)
    args = parser.parse_args()
    mechanism = Geometric(epsilon=EPSILON, sensitivity=SENSITIVITY)
    exact = exact_sampler(SENSITIVITY / EPSILON)
    key = bytes(range(32))
    print(f"noise for ε = {EPSILON}, sensitivity {SENSITIVITY}; best of {args.repeats}")
    print(f"{'release':<28}{'baseline (s)':>13}{'keyed (s)':>11}{'ratio':>7}"
          f"{'exact (s)':>11}{'ratio':>8}")
    figures: list[results.Figure] = []
    for name, size in ((f"catalog titles ({TITLES:,})", TITLES),
                       (f"window pairs ({args.pairs:,})", args.pairs)):
        base = best_of(args.repeats, lambda size=size: geometric_noise(mechanism, size))
        keyed = best_of(args.repeats, lambda size=size: geometric_noise(
            mechanism, size, KeyedUniforms(key, "tv", 0)))
        sliced = min(size, args.exact_slice)
        exact_s = best_of(1 if sliced > 100_000 else args.repeats,
                          lambda sliced=sliced: exact(sliced)) * size / sliced
        print(f"{name:<28}{base:>13.3f}{keyed:>11.3f}{keyed / base:>7.2f}"
              f"{exact_s:>11.2f}{exact_s / base:>8.1f}")
        figures += [
            results.Figure(f"keyed noise, {name}", keyed, "s", "unkeyed float noise", base),
            results.Figure(f"OpenDP exact noise, {name}", exact_s, "s", "unkeyed float noise",
                           base)]
    print(f"the float path's δ per coordinate at ε/sensitivity = {EPSILON / SENSITIVITY}: "
          f"{float_sampler_delta(EPSILON, SENSITIVITY):.3g} (stated in every guarantee)")
    results.record("sampler", figures)


if __name__ == "__main__":
    main()
