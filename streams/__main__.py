"""`omega-worker`: run the stream worker (Ctrl-C stops it cleanly)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from streams.supervise import RestartPolicy, supervise

if TYPE_CHECKING:
    from omega.settings import Settings

log = logging.getLogger("omega.worker")


def with_catalog_universe(settings: Settings) -> Settings:
    """The settings with the title universe the catalog topic holds, 1..its highest live
    id: trends are released for every id in it and views of others are dead-lettered.
    Ids have gaps (retired ids, tombstoned on the topic; omega/data/twins.py): they stay in the
    universe, as public as the rest, and the API refuses them at /v1/sync (api/views.py).
    Before any catalog is published, OMEGA_TITLE_UNIVERSE_SIZE stands in."""
    from omega.kafka.clients import ensure_topics, read_to_end
    from omega.kafka.topics import CATALOG_TITLES, topic_catalog

    ensure_topics(settings, [topic_catalog(settings)[CATALOG_TITLES]])
    live: set[int] = set()
    for msg in read_to_end(settings, [settings.topic(CATALOG_TITLES)]):
        title_id = int(msg.key() or b"0")
        if msg.value() is None:
            live.discard(title_id)
        else:
            live.add(title_id)
    highest = max(live, default=0)
    if not highest:
        log.warning("catalog topic empty: title ids 1..%d (OMEGA_TITLE_UNIVERSE_SIZE)",
                    settings.title_universe_size)
        return settings
    log.info("title universe: 1..%d, from the catalog topic (%d titles)", highest, len(live))
    return settings.model_copy(update={"title_universe_size": highest})


def run_worker(loglevel: str) -> None:
    # Imported here, not at the top: the supervisor process only forks and forwards
    # signals, and Faust, numpy and diffprivlib would cost it ~200 MB of RSS for nothing.
    import faust

    from omega.settings import get_settings
    from streams.app import build_app
    from streams.recovery import mark_clean_stop, prepare_table_dir

    # aiokafka and Faust build a DEBUG record per message unless told not to (~5% of CPU).
    for noisy in ("aiokafka", "faust.topics", "faust.transport", "faust.tables"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    settings = with_catalog_universe(get_settings())
    app = build_app(settings)
    marker_dir = settings.data_dir / "streams"
    prepare_table_dir(app.conf.tabledir, marker_dir)
    worker = faust.Worker(app, loglevel=loglevel)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        if stop.code in (0, None):  # a crash re-raises its own exception instead
            mark_clean_stop(marker_dir)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="omega-worker",
        description="Run Omega's worker: count TV deltas (a transactional Kafka loop) and "
                    "web interactions (Faust) per unit and window, publish each partition's "
                    "partial counts, and release the merged windows with DP noise. Settings "
                    "come from OMEGA_* variables. The worker runs under a "
                    "supervisor that restarts it after a crash (at most --max-crashes in 5 "
                    "minutes); crashes lose nothing (see streams/supervise.py).",
        epilog="example: OMEGA_WINDOW_SECONDS=10 OMEGA_RELEASE_SEED=7 omega-worker")
    parser.add_argument("--loglevel", default="info", help="debug, info, warning (default info)")
    parser.add_argument("--max-crashes", type=int, default=5,
                        help="give up after this many crashes in 5 minutes (default 5)")
    parser.add_argument("--no-supervise", action="store_true",
                        help="run the worker in this process, without restarts")
    args = parser.parse_args()
    if args.no_supervise:
        run_worker(args.loglevel)
        return
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] [supervisor] %(message)s")
    command = [sys.executable, "-m", "streams", "--no-supervise", "--loglevel", args.loglevel]
    sys.exit(supervise(command, RestartPolicy(max_crashes=args.max_crashes)))


if __name__ == "__main__":
    main()
