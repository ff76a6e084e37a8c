"""What containers say: exec, the log read to its end, the log followed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..._errors import CommandTimeoutError
from .._core import AdapterCore, PeerFailure, check_timeout
from ..commands._result import CommandResult
from ._protocol import EnvValue
from ._spec import env_list, exec_argv
from ._steps import EXEC, FOLLOW, DockerSteps, ExecRequest, LogRequest, text_of
from ._stream import ChunkSource, LogStream

__all__ = ["OutputCalls"]


class OutputCalls(DockerSteps):
    """The exec and log calls of :class:`DockerManager`, on the steps of :class:`DockerSteps`."""

    async def exec_in_container(
        self,
        container_id: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, EnvValue] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> CommandResult:
        args = exec_argv(argv)
        limit = check_timeout("timeout", timeout)
        request = ExecRequest(container_id, args, tuple(env_list(env)), workdir, user, limit)
        await self._begin("exec_in_container", container_id=container_id, argv=args)
        started = self.clock.monotonic()

        async def attempt(left: float | None) -> tuple[int, str, str]:
            session = await self._exec(request, left)
            out: list[bytes] = []
            err: list[bytes] = []
            try:
                scope = self.clock.timeout(limit)
                try:
                    async with scope:
                        while (chunk := await session.read()) is not None:
                            (err if chunk[0] == 2 else out).append(chunk[1])
                except TimeoutError:
                    if not scope.expired():
                        raise
                    raise CommandTimeoutError(
                        f"command {' '.join(args)!r} in container {container_id[:12]} ran past "
                        f"{limit:g}s (it may still be running there)",
                        argv=args,
                        timeout=limit,
                        stdout=text_of(out),
                        stderr=text_of(err),
                    ) from None
                code = await session.exit_code()
            finally:
                await session.aclose()
            return code, text_of(out), text_of(err)

        # The command may run as long as it likes without a timeout; the requests that start
        # it and read its exit code are short either way.
        code, stdout, stderr = await self._core.call(
            EXEC,
            f"exec {args[0]} in container {container_id[:12]}",
            attempt,
            timeout=self._plus(limit),
            describe=lambda result: {"exit_code": result[0]},
        )
        return CommandResult(
            argv=args,
            exit_code=code,
            stdout=stdout,
            stderr=stderr,
            duration=self.clock.monotonic() - started,
        )

    async def container_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> str:
        if not (stdout or stderr):
            raise ValueError("ask for stdout, stderr or both")
        await self._begin("container_logs", container_id=container_id, tail=tail)
        return await self._log_text(LogRequest(container_id, stdout, stderr, tail), quiet=False)

    def follow_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> LogStream:
        action = f"follow the log of container {container_id[:12]}"

        async def open_source() -> ChunkSource:
            if not (stdout or stderr):
                raise ValueError("ask for stdout, stderr or both")
            await self._begin("follow_logs", container_id=container_id, tail=tail)
            request = LogRequest(container_id, stdout, stderr, tail, follow=True)

            async def attempt(left: float | None) -> ChunkSource:
                return await self._logs(await self._framed(request), left)

            # Opening is bounded like any call; reading then takes as long as the log goes on.
            source = await self._core.call(FOLLOW, action, attempt)
            return _TypedSource(source, self._core, action)

        return LogStream(open_source)


class _TypedSource:
    """A followed log whose read failures are typed like every call's."""

    def __init__(self, source: ChunkSource, core: AdapterCore, action: str) -> None:
        self._source = source
        self._core = core
        self._action = action

    async def read(self) -> bytes | None:
        try:
            return await self._source.read()
        except PeerFailure as failure:
            core = self._core
            raise core.errors.make(failure, self._action, core.endpoint) from failure.__cause__

    def close(self) -> None:
        self._source.close()
