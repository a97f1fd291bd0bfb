"""What Faust itself costs per event: the ceiling any Faust worker has on this machine.

Runs a bare Faust app (same broker settings, exactly-once, RocksDB) on the deltas topic
of `bench/ingest.py` in one of two modes, and prints events/s between its first and
last event:

- `noop`: the agent only iterates events (Faust's consumer, conductor, stream, acks),
- `table`: it also writes one table value per event (the changelog send through
  Faust's producer), as the worker does; no decoding, validation or counting.

`bench/ingest.py --floor` runs both next to the real worker, so the three rates and
the raw client's come from one run on the same data.

    python -m bench.faust_floor noop|table COUNT   (OMEGA_* settings from the caller)
"""

from __future__ import annotations

import os
import signal
import sys
import time

import faust

from omega.kafka.clients import bootstrap_servers
from omega.kafka.topics import TV_DELTAS
from omega.settings import get_settings


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    settings = get_settings()
    app = faust.App(f"{settings.streams_app_id}-floor-{mode}",
                    broker=f"kafka://{bootstrap_servers(settings)}", store="rocksdb://",
                    datadir=str(settings.data_dir / f"floor-{mode}"),
                    topic_partitions=settings.delta_partitions,
                    consumer_auto_offset_reset="earliest", web_enabled=False,
                    producer_acks=-1, processing_guarantee=settings.processing_guarantee)
    topic = app.topic(settings.topic(TV_DELTAS), key_type=bytes, value_type=bytes,
                      key_serializer="raw", value_serializer="raw")
    table = app.Table("floor", default=None, partitions=settings.delta_partitions,
                      key_type=str)
    seen: list[float] = []

    @app.agent(topic)
    async def consume(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if mode == "table":
                table[event.message.key.decode()] = {"n": len(event.message.value)}
            seen.append(time.perf_counter())
            if len(seen) == count:
                rate = (count - 1) / (seen[-1] - seen[0])
                print(f"RATE {rate:.0f}", flush=True)
                os.kill(os.getpid(), signal.SIGTERM)  # the Worker's own clean stop

    worker = faust.Worker(app, loglevel="warning", quiet=True)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
