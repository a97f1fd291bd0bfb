"""`omega-worker`: run the stream worker (Ctrl-C stops it cleanly)."""

from __future__ import annotations

import argparse
import logging

import faust

from omega.settings import get_settings
from streams.app import build_app


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="omega-worker",
        description="Run Omega's Faust worker: validate TV deltas, count per window, release "
                    "DP trends. Settings come from OMEGA_* variables.",
        epilog="example: OMEGA_WINDOW_SECONDS=10 OMEGA_RELEASE_SEED=7 omega-worker")
    parser.add_argument("--loglevel", default="info", help="debug, info, warning (default info)")
    args = parser.parse_args()
    # aiokafka and Faust build a DEBUG record per message unless told not to (~5% of CPU).
    for noisy in ("aiokafka", "faust.topics", "faust.transport", "faust.tables"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    app = build_app(get_settings())
    worker = faust.Worker(app, loglevel=args.loglevel)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
