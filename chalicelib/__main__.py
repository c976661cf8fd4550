"""Command line: `python -m chalicelib serve` runs the API locally (what `make run` does)."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
from types import FrameType

from chalicelib.access.api_keys import generate_key


def serve(host: str, port: int) -> None:
    from chalicelib.local.dynamodb import LocalDynamoDB
    from chalicelib.local.server import make_server
    from chalicelib.routes import create_app
    from chalicelib.service import Service
    from chalicelib.settings import Settings

    dynamodb = None
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        dynamodb = LocalDynamoDB().start()
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb.url
        print(f"Embedded DynamoDB (moto) at {dynamodb.url}", flush=True)
    if not os.environ.get("ADMIN_API_KEY"):
        os.environ["ADMIN_API_KEY"] = generate_key()
        print(f"Generated API key (role system-admin): {os.environ['ADMIN_API_KEY']}", flush=True)
    service = Service(Settings.from_environ())
    service.tables.create_all()
    server = make_server(create_app(service), host, port)
    try:
        # Inside the try: a signal that lands right after the announcement still stops cleanly.
        print(f"Shoreline API ready at http://{host}:{port}/graphql", flush=True)
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
        if dynamodb is not None:
            dynamodb.stop()
        print("Stopped.", flush=True)


def _stop_with_parent() -> None:
    """Stop on SIGTERM like on Ctrl-C, and when the parent (`make`) dies, so nothing is left behind."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API locally on an embedded DynamoDB")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    if args.command == "serve":
        _stop_with_parent()
        serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
