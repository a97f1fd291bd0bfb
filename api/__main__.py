"""`omega-api`: serve the search API and the web page; `omega-api token` issues device tokens."""

from __future__ import annotations

import argparse
import logging
import sys

from api.security import KeyRing
from omega.kafka import settings_or_exit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omega-api",
        description="Serve Omega's API (FastAPI under uvicorn) and its web page. It reads the "
                    "catalog, DP releases and title vectors from Kafka; settings come from "
                    "OMEGA_* variables (OMEGA_API_HOST, OMEGA_API_PORT, OMEGA_SYNC_KEYS ...).",
        epilog="examples: omega-api   |   omega-api --port 8080   |   omega-api token tv-0001")
    sub = parser.add_subparsers(dest="command")
    token = sub.add_parser("token", help="print the sync token of a device (signing key)")
    token.add_argument("device_id")
    parser.add_argument("--host", help="bind address (default OMEGA_API_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default OMEGA_API_PORT, 8000)")
    args = parser.parse_args(argv)
    settings = settings_or_exit("omega-api")
    if args.command == "token":
        sys.stdout.write(KeyRing(settings.sync_keys).token(args.device_id) + "\n")
        return
    import uvicorn

    from api.app import create_app

    if args.host or args.port:
        settings = settings.model_copy(update={k: v for k, v in
                                               (("api_host", args.host), ("api_port", args.port))
                                               if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
