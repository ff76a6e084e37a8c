"""Run FakeOpenSearchServer standalone (for demos): ``python -m asyncconsole.testing._opensearch``.

Prints the URL on the first line of stdout, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ._server import FakeOpenSearchServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m asyncconsole.testing._opensearch")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--version", default="2.15.0")
    parser.add_argument("--auth", help="user:password for basic auth")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--snapshot-duration", type=float, default=10.0)
    parser.add_argument(
        "--working-state",
        metavar="COMPLETED,IN_PROGRESS,UNCLAIMED",
        help="seed .migrations_working_state with this many work items",
    )
    parser.add_argument("--session", help="backfill session name for the working-state index")
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print its URL and wait for a termination signal."""
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    async with FakeOpenSearchServer(
        host=args.host,
        port=args.port,
        version=args.version,
        auth=auth,
        latency=args.latency,
        snapshot_duration=args.snapshot_duration,
    ) as server:
        if args.working_state:
            completed, in_progress, unclaimed = (int(n) for n in args.working_state.split(","))
            server.seed_working_state(
                completed=completed,
                in_progress=in_progress,
                unclaimed=unclaimed,
                session=args.session,
            )
        print(server.url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    asyncio.run(serve(_parser().parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
