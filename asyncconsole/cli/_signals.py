"""Running a command's coroutine so that SIGTERM stops it the way Ctrl-C does.

Python's default for SIGTERM ends the process at once: the external tools a command started
(opensearch-benchmark, the Kafka scripts, the metadata tool) and their children would keep
running. Here SIGTERM cancels the command's task instead, so every process, container and pod
it started is stopped by the code that started it; then the CLI exits 143 (128 + SIGTERM).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from . import _collector

__all__ = ["EXIT_TERMINATED", "Terminated", "run", "until_stopped"]

T = TypeVar("T")

EXIT_TERMINATED = 128 + signal.SIGTERM
"""143, what shells report for a command ended by SIGTERM."""


class Terminated(click.Abort):
    """The command was stopped by SIGTERM, after cleaning up (the CLI exits 143)."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, with SIGTERM cancelling ``coro``'s task like Ctrl-C.

    Raises:
        Terminated: SIGTERM stopped it (everything it started has been stopped).
    """
    import asyncio  # not at import time: `--help` and `--version` never need it

    terminated = False
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task: asyncio.Task[Any] | None = None

        async def main() -> T:
            nonlocal task
            task = asyncio.current_task()
            _collector.release()  # start-up is over: collect what the command makes
            return await coro

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests calling the CLI in-process), or no signals here
        try:
            return runner.run(main())
        except asyncio.CancelledError:
            if terminated:
                raise Terminated from None
            raise
        finally:
            try:
                loop.remove_signal_handler(signal.SIGTERM)
            except (NotImplementedError, RuntimeError, ValueError):
                pass


async def until_stopped() -> None:
    """Wait for SIGINT or SIGTERM: how a server (``testing``, ``serve``) is stopped normally,
    not an interruption (exit 0)."""
    import asyncio

    _collector.release()  # a server runs for long: collect what it makes
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # platforms without signal handlers
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
