"""The K8sManager's calls into a pod's containers: its log, a followed log, an exec."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Final

from ..._errors import CommandTimeoutError
from .._core import PeerFailure, ShapeError, check_timeout, loads
from ..commands._result import CommandResult
from ._convert import exit_code
from ._exchange import K8sExchanges, PodTarget, Stream, operation
from ._lines import LineBuffer
from ._validate import check_argv, check_count, check_name

__all__ = ["ContainerCalls"]

POD_LOGS: Final = operation("pod_logs", idempotent=True)
FOLLOW_LOGS: Final = operation("follow_pod_logs", idempotent=True)
EXEC: Final = operation("exec_in_pod", idempotent=False)

_STDOUT, _STDERR, _STATUS = 1, 2, 3  # exec channels (v4 protocol)


class ContainerCalls(K8sExchanges):
    """``pod_logs``, ``follow_pod_logs`` and ``exec_in_pod``."""

    async def pod_logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
    ) -> str:
        check_name("namespace", namespace)
        check_name("pod", pod)
        if tail_lines is not None:
            check_count("tail_lines", tail_lines)
        self._ready()
        self._called(
            "pod_logs", namespace=namespace, pod=pod, container=container, tail_lines=tail_lines
        )
        target = PodTarget(namespace, pod, container)

        async def attempt(left: float | None) -> str:
            text = await self._log_text(target, tail_lines, self._limit())
            return text.decode("utf-8", errors="replace")

        return await self._core.call(POD_LOGS, f"logs of pod {namespace}/{pod}", attempt)

    async def follow_pod_logs(
        self, namespace: str, pod: str, *, container: str | None = None
    ) -> AsyncIterator[str]:
        check_name("namespace", namespace)
        check_name("pod", pod)
        self._ready()
        self._called("follow_pod_logs", namespace=namespace, pod=pod, container=container)
        target = PodTarget(namespace, pod, container)
        action = f"follow logs of pod {namespace}/{pod}"

        async def attempt(left: float | None) -> Stream[bytes]:
            return await self._follow_log(target, self._limit())

        # Opening is a call (the request timeout bounds it); the log then flows as long as
        # the container runs.
        stream = await self._core.call(FOLLOW_LOGS, action, attempt)
        async with contextlib.aclosing(stream):  # ends the stream on the server too
            lines = LineBuffer()
            try:
                async for chunk in stream:
                    for line in lines.feed(chunk):
                        yield line.decode("utf-8", errors="replace")
            except PeerFailure as failure:
                raise self._typed(failure, action) from failure.__cause__
            rest = lines.rest()
            if rest:
                yield rest.decode("utf-8", errors="replace")

    async def exec_in_pod(
        self,
        namespace: str,
        pod: str,
        argv: Sequence[str],
        *,
        container: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the public call shape
    ) -> CommandResult:
        check_name("namespace", namespace)
        check_name("pod", pod)
        argv = check_argv(argv)
        check_timeout("timeout", timeout)
        self._ready()
        self._called("exec_in_pod", namespace=namespace, pod=pod, argv=argv, container=container)
        target = PodTarget(namespace, pod, container)
        action = f"exec in pod {namespace}/{pod}"
        stdout, stderr = bytearray(), bytearray()
        started = time.perf_counter()

        async def start(left: float | None) -> Stream[tuple[int, bytes]]:
            return await self._exec(target, argv, self._limit())

        try:
            async with self._clock.timeout(timeout) as scope:
                # Starting it is a request (the request timeout bounds it), not safe to repeat:
                # a command runs once, resent only when it certainly never left. It then runs
                # until it ends, or ``timeout`` passes.
                frames = await self._core.call(EXEC, action, start, argv0=argv[0])
                async with contextlib.aclosing(frames):  # ends it on the server too
                    status = await _exec_status(frames, stdout, stderr)
                code = self._shaped(status, exit_code, "the exit status", None)
                if code is None:
                    raise _not_run(status)
        except PeerFailure as failure:
            raise self._typed(failure, action) from failure.__cause__
        except TimeoutError:
            if not scope.expired():
                raise
            raise CommandTimeoutError(
                f"{action}: {' '.join(argv)!r} did not finish within {timeout}s",
                argv=argv,
                timeout=timeout,
                stdout=_text(stdout),
                stderr=_text(stderr),
            ) from None
        return CommandResult(
            argv=argv,
            exit_code=code,
            stdout=_text(stdout),
            stderr=_text(stderr),
            duration=time.perf_counter() - started,
        )


async def _exec_status(
    frames: Stream[tuple[int, bytes]], stdout: bytearray, stderr: bytearray
) -> Any:
    """Collect an exec's output from its frames, up to its decoded ``Status``."""
    status: bytes | None = None
    async for channel, data in frames:
        if channel == _STDOUT:
            stdout += data
        elif channel == _STDERR:
            stderr += data
        elif channel == _STATUS:
            status = data
    if status is None:
        raise PeerFailure("lost", "the exec stream ended without an exit status")
    try:
        return loads(status)
    except ShapeError as exc:
        raise PeerFailure("malformed", f"the exit status: {exc}") from None


def _text(data: bytearray) -> str:
    return data.decode("utf-8", errors="replace")


def _not_run(status: Mapping[str, Any]) -> PeerFailure:
    """The failure an exec ``Status`` without an exit code reports (the command never ran)."""
    code = status.get("code")
    return PeerFailure(
        "status",
        str(status.get("message") or "the command could not run"),
        status=code if isinstance(code, int) else None,
        code=str(status.get("reason") or "") or None,
    )
