"""`omega-api`: serve the search API and the web page; `omega-api token` issues device tokens."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile

from pydantic import ValidationError

from api.security import KeyRing
from omega.kafka.clients import settings_or_exit
from omega.settings import DEV_KEY_REFUSED, DEV_KEY_WARNING, Settings, get_settings

log = logging.getLogger("omega-api")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omega-api",
        description="Serve Omega's API (FastAPI under uvicorn) and its web page. It reads the "
                    "catalog, DP releases and title vectors from Kafka; settings come from "
                    "OMEGA_* variables (OMEGA_API_HOST, OMEGA_API_PORT, OMEGA_SYNC_KEYS ...).",
        epilog="examples: omega-api   |   omega-api --port 8080   |   omega-api token tv-0001")
    sub = parser.add_subparsers(dest="command")
    token = sub.add_parser("token", help="print a sync token of a device (signing key; "
                                         "valid for OMEGA_SYNC_TOKEN_TTL_S, 30 days)")
    token.add_argument("device_id")
    parser.add_argument("--host", help="bind address (default OMEGA_API_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default OMEGA_API_PORT, 8000)")
    parser.add_argument("--workers", type=int,
                        help="processes sharing the port (default OMEGA_API_WORKERS, 1); use "
                             "one per core: a process's searches run one at a time (GIL)")
    args = parser.parse_args(argv)
    if args.command == "token":  # a signature: no Kafka needed
        print_token(args.device_id)
        return
    if get_settings().dev_sync_key and not get_settings().dev_mode:
        sys.exit(f"omega-api: {DEV_KEY_REFUSED}")
    settings = settings_or_exit("omega-api")
    from api.serve import serve, supervise
    from api.state import replica_root

    overrides = {k: v for k, v in (("api_host", args.host), ("api_port", args.port),
                                   ("api_workers", args.workers)) if v is not None}
    try:  # validated, so the settings' own bounds hold for flags too (model_copy skips them)
        settings = Settings.model_validate(settings.model_dump() | overrides)
    except ValidationError as exc:
        parser.error("; ".join(f"--{str(e['loc'][0]).removeprefix('api_')}: {e['msg']}"
                               for e in exc.errors()))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if settings.dev_sync_key:
        log.warning(DEV_KEY_WARNING)
    # Index replicas live in per-process folders below this one; none outlives a run.
    shutil.rmtree(replica_root(settings), ignore_errors=True)
    if settings.api_workers == 1:
        serve(settings, reuse_port=False)
        return
    # Prometheus: every process writes its counts to one folder, and /metrics, whichever
    # process answers it, sums them all.
    with tempfile.TemporaryDirectory(prefix="omega-api-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        sys.exit(supervise(settings))


def print_token(device_id: str) -> None:
    """`omega-api token DEVICE`: the token on stdout; on stderr, a note when only an API in
    dev mode would accept it."""
    settings = get_settings()
    sys.stdout.write(KeyRing.from_settings(settings).token(device_id) + "\n")
    if settings.dev_sync_key and not settings.dev_mode:
        sys.stderr.write("omega-api token: signed with the built-in development key: only an "
                         "API in dev mode (OMEGA_DEV_MODE=true, as make run) accepts it\n")


if __name__ == "__main__":
    main()
