"""DockerEngineManager: the Docker Engine API through one pooled aiodocker client.

aiodocker (and aiohttp) are imported when the manager opens, never at module import. Streamed
answers (wait, logs, image import and build) are read from responses this module owns, so a
cancelled call closes its HTTP stream at once instead of leaving it to the garbage collector.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import os
import struct
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

from ..._clock import Clock, SystemClock
from ..._errors import (
    CommandTimeoutError,
    ConfigError,
    ConfigIssue,
    DockerConflictError,
    DockerError,
    DockerNotFoundError,
    DockerUnavailableError,
    OperationTimeoutError,
)
from ..._observe import observe
from ..._resource import AsyncResource
from ..._retry import RetryPolicy
from ..commands._result import CommandResult
from ._protocol import EnvValue
from ._spec import RUN_TOKEN_LABEL, ContainerSpec, check_repository, env_list, exec_argv
from ._stream import ChunkSource, LogStream
from ._types import ContainerInfo, ContainerState, parse_docker_time

if TYPE_CHECKING:
    import aiodocker
    import aiohttp

__all__ = ["DEFAULT_RETRY", "DEFAULT_SOCKET", "DockerEngineManager", "docker_url"]

log = logging.getLogger("asyncconsole.infra.docker")

DEFAULT_SOCKET = "/var/run/docker.sock"
_SOCKET_CANDIDATES = ("/run/docker.sock", DEFAULT_SOCKET)
_SCHEMES = ("unix://", "tcp://", "http://", "https://")
_FRAME_HEADER = struct.Struct(">BxxxL")
_LIST_CONCURRENCY = 16
T = TypeVar("T")

DEFAULT_RETRY = RetryPolicy(
    attempts=3, wait_initial=0.2, wait_max=2.0, wait_jitter=0.1, timeout=30.0
)
"""Retries for reads (inspect, list, logs, image checks) when the daemon is unreachable or
answers 502/503/504. Calls that change state are never retried: their answer may be lost
after the daemon acted."""


def docker_url(socket: str | os.PathLike[str] | None = None) -> str:
    """The daemon address to use: ``socket`` (a path or URL), else ``DOCKER_HOST``, else the
    default socket.

    Accepts what console_link's ``docker.socket`` key holds: a socket path
    (``/var/run/docker.sock``) or a ``unix://``, ``tcp://``, ``http(s)://`` URL.
    """
    value = os.fspath(socket) if socket is not None else ""
    if not value:
        value = os.environ.get("DOCKER_HOST", "")
    if not value:
        for candidate in _SOCKET_CANDIDATES:
            if os.path.exists(candidate):
                return f"unix://{candidate}"
        return f"unix://{DEFAULT_SOCKET}"
    if "://" in value:
        if not value.startswith(_SCHEMES):
            raise ConfigError(
                "unsupported Docker daemon address",
                [
                    ConfigIssue(
                        "docker.socket", f"{value!r}: use a socket path or {', '.join(_SCHEMES)}"
                    )
                ],
            )
        return value
    return f"unix://{os.path.abspath(value)}"


class DockerEngineManager(AsyncResource):
    """:class:`DockerManager` on a real Docker daemon (Engine API), through aiodocker.

    Args:
        socket: The daemon: a socket path or ``unix://``/``tcp://`` URL (console_link's
            ``docker.socket``). Default: ``DOCKER_HOST``, else ``/var/run/docker.sock``.
        request_timeout: Seconds for one short request (create, inspect, list...). Waits, logs,
            stops, exec, builds and imports have no request timeout; bound them with their
            ``timeout`` arguments or ``asyncio.timeout``.
        connect_timeout: Seconds to connect to the daemon.
        api_version: Pin the Engine API version (``"v1.41"``), or ``"auto"`` to negotiate.
        cleanup_timeout: Seconds allowed for removing a half-made container after a failed or
            cancelled ``run_container``.
        clock: Time source for the short polls exec needs and the waits between retries.
        retry: Retry policy for reads (``inspect_container``, ``list_containers``,
            ``container_logs``, ``image_exists``); ``NO_RETRY`` turns it off.

    Use as ``async with DockerEngineManager() as docker: ...``; the one pooled HTTP client
    is safe to share between any number of concurrent calls.
    """

    def __init__(
        self,
        socket: str | os.PathLike[str] | None = None,
        *,
        request_timeout: float = 60.0,
        connect_timeout: float = 5.0,
        api_version: str = "auto",
        cleanup_timeout: float = 30.0,
        clock: Clock | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.url = docker_url(socket)
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._api_version = api_version
        self._cleanup_timeout = cleanup_timeout
        self._clock = clock or SystemClock()
        self._retry = retry
        self._client: aiodocker.Docker | None = None
        self._version_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"DockerEngineManager(url={self.url!r})"

    async def _open(self) -> None:
        import aiodocker
        import aiohttp

        self._client = aiodocker.Docker(
            url=self.url,
            timeout=aiohttp.ClientTimeout(
                total=self._request_timeout, sock_connect=self._connect_timeout
            ),
            api_version=self._api_version,
        )

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- plumbing -----------------------------------------------------------------------------

    async def _docker(self) -> aiodocker.Docker:
        client = self._client
        if client is None:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"DockerEngineManager is {state}: use `async with DockerEngineManager() as docker:`"
            )
        if client.api_version == "auto":
            # Negotiate once, not once per concurrent first call.
            async with self._version_lock:
                if client.api_version == "auto":
                    with self._errors("negotiate the API version"):
                        await client._check_version()
        return client

    def _stream_timeout(self) -> aiohttp.ClientTimeout:
        import aiohttp

        return aiohttp.ClientTimeout(total=None, sock_read=None, sock_connect=self._connect_timeout)

    @contextmanager
    def _errors(self, action: str, **context: Any) -> Iterator[None]:
        """Translate aiodocker/aiohttp failures of ``action`` into the DockerError family."""
        import aiodocker
        import aiohttp

        try:
            yield
        except aiodocker.DockerError as exc:
            raise self._translate(action, exc.status, exc.message, context) from exc
        except (aiohttp.ClientError, OSError) as exc:
            error = DockerUnavailableError(
                f"cannot {action}: Docker daemon at {self.url} unreachable ({exc})",
                url=self.url,
                **context,
            )
            error.transient = True
            raise error from exc
        except TimeoutError as exc:
            # Only aiohttp's own request timeout lands here: callers' deadlines arrive as
            # CancelledError inside this block.
            error = DockerUnavailableError(
                f"cannot {action}: Docker daemon at {self.url} did not answer within "
                f"{self._request_timeout}s",
                url=self.url,
                **context,
            )
            error.transient = True
            raise error from exc

    def _translate(
        self, action: str, status: int, message: str, context: Mapping[str, Any]
    ) -> DockerError:
        text = f"cannot {action}: {message}"
        error: DockerError
        if status == 404:
            error = DockerNotFoundError(text, status=status, **context)
        elif status == 409:
            error = DockerConflictError(text, status=status, **context)
        elif status == 900:  # aiodocker's "Cannot connect to Docker Engine via URL [reason]"
            reason = message.rpartition("[")[2].rstrip("]") if "[" in message else message
            error = DockerUnavailableError(
                f"cannot {action}: Docker daemon at {self.url} unreachable ({reason})",
                url=self.url,
                **context,
            )
            error.transient = True
        else:
            error = DockerError(text, status=status, **context)
            error.transient = status in (502, 503, 504)
        return error

    async def _response(
        self,
        action: str,
        method: str,
        path: Any,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        versioned: bool = True,
        context: Mapping[str, Any] | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request whose (streamed) answer the caller reads and must close."""
        client = await self._docker() if versioned else self._require_client()
        with self._errors(action, **(context or {})):
            # aiodocker's private _do_query hands over the response itself; its public stream
            # helpers leave the response open when their consumer stops early.
            return await client._do_query(
                path,
                method,
                params=dict(params) if params else None,
                data=data,
                headers=headers,
                timeout=self._stream_timeout(),
                versioned_api=versioned,
            )

    def _require_client(self) -> aiodocker.Docker:
        if self._client is None:
            raise RuntimeError("DockerEngineManager is not open")
        return self._client

    @asynccontextmanager
    async def _streamed(
        self, action: str, method: str, path: Any, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        response = await self._response(action, method, path, **kwargs)
        try:
            yield response
        finally:
            response.close()

    async def _read_json_stream(self, action: str, response: aiohttp.ClientResponse) -> list[Any]:
        """Read a progress stream (import/build) to its end; an ``error`` entry raises."""
        with self._errors(action):
            body = await response.read()
        entries = []
        for line in body.decode("utf-8", "replace").splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and ("error" in entry or "errorDetail" in entry):
                detail = entry.get("errorDetail") or {}
                raise DockerError(f"cannot {action}: {detail.get('message') or entry.get('error')}")
            entries.append(entry)
        return entries

    async def _read(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run a read-only request under the retry policy."""

        def on_retry(number: int, exc: BaseException, wait: float) -> None:
            log.debug("%s: attempt %d failed (%s); retrying in %.2fs", what, number, exc, wait)

        return await self._retry.run(attempt, clock=self._clock, on_retry=on_retry)

    async def _cleanup(self, what: str, coro: Coroutine[Any, Any, None]) -> None:
        """Finish ``coro`` even if the caller is cancelled (again) meanwhile; bounded in time."""

        async def bounded() -> None:
            async with asyncio.timeout(self._cleanup_timeout):
                await coro

        # A task so a second cancellation cannot interrupt the cleanup half-way; it is always
        # awaited to completion below, never left running.
        task = asyncio.ensure_future(bounded())
        interrupted = False
        while True:
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    interrupted = True
                    continue
            except Exception as exc:
                log.warning("cleanup (%s) failed: %s", what, exc)
            break
        if interrupted:
            raise asyncio.CancelledError

    async def _discard(self, container_id: str) -> None:
        """Force-remove a container nobody else knows of; gone or going is fine."""
        client = await self._docker()
        try:
            with self._errors("remove container", container=container_id):
                await client.containers.container(container_id).delete(force=True)
        except (DockerNotFoundError, DockerConflictError):
            pass  # already gone, or its removal (auto-remove) is under way

    async def _sweep(self, token: str) -> None:
        """Remove every container labelled with run ``token`` (a create whose answer was lost)."""
        client = await self._docker()
        with self._errors("list containers"):
            found = await client.containers.list(
                all=True, filters=json.dumps({"label": [f"{RUN_TOKEN_LABEL}={token}"]})
            )
        for container in found:
            await self._discard(container.id)

    # -- lifecycle ----------------------------------------------------------------------------

    async def ping(self) -> None:
        async with (
            observe(log, "docker.ping", self.url),
            self._streamed("reach the Docker daemon", "GET", "_ping", versioned=False) as r,
        ):
            with self._errors("reach the Docker daemon"):
                await r.read()

    async def create_container(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        name: str | None = None,
        env: Mapping[str, EnvValue] | None = None,
        labels: Mapping[str, str] | None = None,
        network_mode: str | None = None,
        auto_remove: bool = False,
        init: bool = False,
        entrypoint: Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
    ) -> str:
        spec = ContainerSpec.build(
            image,
            command,
            name=name,
            env=env,
            labels=labels,
            network_mode=network_mode,
            auto_remove=auto_remove,
            init=init,
            entrypoint=entrypoint,
            workdir=workdir,
            user=user,
        )
        async with observe(log, "docker.create_container", image, name=name) as info:
            cid = await self._create(spec)
            info["container"] = cid[:12]
            return cid

    async def _create(self, spec: ContainerSpec) -> str:
        client = await self._docker()
        token = uuid.uuid4().hex

        async def request() -> str:
            with self._errors("create container", image=spec.image, name=spec.name):
                container = await client.containers.create(
                    spec.engine_config(token), name=spec.name
                )
            cid: str = container.id
            return cid

        # The daemon completes a create even when we hang up, so a cancelled create is
        # allowed to finish (shielded) and what it made is then removed.
        task = asyncio.ensure_future(request())
        try:
            return await asyncio.shield(task)
        except BaseException:
            await self._cleanup(f"undo create (token {token})", self._undo_create(task, token))
            raise

    async def _undo_create(self, task: asyncio.Future[str], token: str) -> None:
        try:
            cid = await task
        except (DockerNotFoundError, DockerConflictError):
            return  # refused: nothing was made
        except BaseException:
            # Lost connection or timeout: it may exist without our knowing its id.
            await self._sweep(token)
            return
        await self._discard(cid)

    async def _finish(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run one daemon-side step (a start) to its end even if cancelled meanwhile, so the
        cleanup that follows does not race with it; then let the cancellation through."""
        task = asyncio.ensure_future(coro)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                await self._cleanup("finish the interrupted step", _settle(task))
            raise

    async def start_container(self, container_id: str) -> None:
        async with observe(log, "docker.start_container", container_id[:12]):
            await self._start(container_id)

    async def _start(self, container_id: str, image: str | None = None) -> None:
        client = await self._docker()
        context = {"container": container_id} | ({"image": image} if image else {})
        with self._errors("start container", **context):
            await client.containers.container(container_id).start()

    async def run_container(
        self,
        image: str,
        command: Sequence[str] | None = None,
        *,
        name: str | None = None,
        env: Mapping[str, EnvValue] | None = None,
        labels: Mapping[str, str] | None = None,
        network_mode: str | None = None,
        auto_remove: bool = False,
        detach: bool = True,
        init: bool = False,
        entrypoint: Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        spec = ContainerSpec.build(
            image,
            command,
            name=name,
            env=env,
            labels=labels,
            network_mode=network_mode,
            auto_remove=auto_remove,
            init=init,
            entrypoint=entrypoint,
            workdir=workdir,
            user=user,
        )
        async with observe(log, "docker.run_container", image, name=name, detach=detach) as info:
            cid = await self._create(spec)
            info["container"] = cid[:12]
            try:
                if detach:
                    await self._finish(self._start(cid, image))
                    return cid
                exit_code = await self._run_attached(cid, spec, timeout)
            except BaseException:
                # The caller never gets this id: remove the container rather than orphan it.
                await self._cleanup(f"remove container {cid[:12]}", self._discard(cid))
                raise
            info["exit_code"] = exit_code
            if exit_code != 0:
                raise await self._exit_error(cid, spec, exit_code)
            return cid

    async def _run_attached(self, cid: str, spec: ContainerSpec, limit: float | None) -> int:
        # Register the wait before starting, as `docker run` does: an auto-removed container
        # may otherwise be gone before we ask.
        condition = "removed" if spec.auto_remove else "next-exit"
        async with self._streamed(
            "wait for container",
            "POST",
            f"containers/{cid}/wait",
            params={"condition": condition},
            context={"container": cid},
        ) as response:
            await self._finish(self._start(cid, spec.image))
            try:
                async with asyncio.timeout(limit):
                    with self._errors("wait for container", container=cid):
                        body = await response.json()
            except TimeoutError:
                raise OperationTimeoutError(
                    f"container {cid[:12]} ({spec.image}) still running after {limit}s; removed it",
                    timeout=limit,
                    container=cid,
                ) from None
        return _wait_status(body, cid)

    async def _exit_error(self, cid: str, spec: ContainerSpec, exit_code: int) -> DockerError:
        tail = ""
        if not spec.auto_remove:
            try:
                tail = (await self.container_logs(cid, tail=20)).strip()
            except DockerError:
                tail = ""
        return DockerError(
            f"container {spec.name or cid[:12]} ({spec.image}) exited with code {exit_code}"
            + (f": {tail[-2000:]}" if tail else ""),
            container=cid,
            exit_code=exit_code,
        )

    async def stop_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        client = await self._docker()
        t = None if timeout is None else max(0, math.ceil(timeout))
        async with observe(log, "docker.stop_container", container_id[:12], timeout=t):
            with self._errors("stop container", container=container_id):
                await client.containers.container(container_id).stop(t=t)

    async def remove_container(self, container_id: str, *, force: bool = False) -> None:
        client = await self._docker()
        async with observe(log, "docker.remove_container", container_id[:12], force=force):
            with self._errors("remove container", container=container_id):
                await client.containers.container(container_id).delete(force=force)

    async def wait_container(
        self,
        container_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> int:
        async with observe(log, "docker.wait_container", container_id[:12]) as info:
            try:
                async with (
                    asyncio.timeout(timeout),
                    self._streamed(
                        "wait for container",
                        "POST",
                        f"containers/{container_id}/wait",
                        params={"condition": "not-running"},
                        context={"container": container_id},
                    ) as response,
                ):
                    with self._errors("wait for container", container=container_id):
                        body = await response.json()
            except TimeoutError:
                raise OperationTimeoutError(
                    f"container {container_id[:12]} still running after {timeout}s",
                    timeout=timeout,
                    container=container_id,
                ) from None
            code = _wait_status(body, container_id)
            info["exit_code"] = code
            return code

    async def inspect_container(self, container_id: str) -> ContainerInfo:
        async def attempt() -> dict[str, Any]:
            client = await self._docker()  # inside: a failed version negotiation is retried too
            with self._errors("inspect container", container=container_id):
                shown: dict[str, Any] = await client.containers.container(container_id).show()
            return shown

        async with observe(log, "docker.inspect_container", container_id[:12]):
            return _container_info(await self._read("inspect container", attempt))

    async def list_containers(
        self, *, labels: Mapping[str, str] | None = None, all: bool = False
    ) -> list[ContainerInfo]:
        filters = {"label": [f"{k}={v}" for k, v in (labels or {}).items()]}
        params: dict[str, Any] = {"all": all}
        if labels:
            params["filters"] = json.dumps(filters)

        async def listing() -> list[Any]:
            client = await self._docker()
            with self._errors("list containers"):
                return list(await client.containers.list(**params))

        async with observe(log, "docker.list_containers", self.url, all=all) as info:
            found = await self._read("list containers", listing)
            client = self._require_client()
            # The list endpoint lacks exit codes and start/finish times: inspect each
            # (concurrently), so listed and inspected containers look the same.
            limit = asyncio.Semaphore(_LIST_CONCURRENCY)

            async def one(cid: str) -> ContainerInfo | None:
                async with limit:
                    try:
                        with self._errors("inspect container", container=cid):
                            data = await client.containers.container(cid).show()
                    except DockerNotFoundError:
                        return None  # removed since the list was taken
                return _container_info(data)

            results = await _gather(one(c.id) for c in found)
            infos = [r for r in results if r is not None]
            info["count"] = len(infos)
            return infos

    # -- exec and logs ------------------------------------------------------------------------

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
        environment = env_list(env)
        client = await self._docker()
        started = self._clock.monotonic()
        out: list[bytes] = []
        err: list[bytes] = []
        async with observe(
            log, "docker.exec_in_container", container_id[:12], argv=args[0]
        ) as info:
            with self._errors("exec in container", container=container_id):
                execution = await client.containers.container(container_id).exec(
                    list(args),
                    stdout=True,
                    stderr=True,
                    environment=environment or None,
                    workdir=workdir,
                    user=user or "",
                )
            try:
                async with asyncio.timeout(timeout):
                    with self._errors("exec in container", container=container_id):
                        async with execution.start(detach=False) as stream:
                            while (message := await stream.read_out()) is not None:
                                (err if message.stream == 2 else out).append(message.data)
            except TimeoutError:
                raise CommandTimeoutError(
                    f"command {' '.join(args)!r} in container {container_id[:12]} ran past "
                    f"{timeout}s (it may still be running there)",
                    argv=args,
                    timeout=timeout,
                    stdout=_decode(out),
                    stderr=_decode(err),
                ) from None
            exit_code = await self._exec_exit_code(execution, container_id)
            info["exit_code"] = exit_code
        return CommandResult(
            argv=args,
            exit_code=exit_code,
            stdout=_decode(out),
            stderr=_decode(err),
            duration=self._clock.monotonic() - started,
        )

    async def _exec_exit_code(self, execution: Any, container_id: str) -> int:
        # The output can end a moment before the daemon records the exit: poll briefly.
        for _ in range(200):
            with self._errors("inspect exec", container=container_id):
                data = await execution.inspect()
            if not data.get("Running") and data.get("ExitCode") is not None:
                code: int = data["ExitCode"]
                return code
            await self._clock.sleep(0.005)
        raise DockerError(
            f"exec in container {container_id[:12]}: output ended but the process still runs",
            container=container_id,
        )

    def follow_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> LogStream:
        async def open_source() -> ChunkSource:
            return await self._log_source(container_id, stdout, stderr, tail, follow=True)

        return LogStream(open_source)

    async def container_logs(
        self,
        container_id: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        tail: int | None = None,
    ) -> str:
        async def attempt() -> str:
            source = await self._log_source(container_id, stdout, stderr, tail, follow=False)
            chunks = []
            try:
                while (chunk := await source.read()) is not None:
                    chunks.append(chunk)
            finally:
                source.close()
            return _decode(chunks)

        async with observe(log, "docker.container_logs", container_id[:12]):
            return await self._read("read container logs", attempt)

    async def _log_source(
        self,
        container_id: str,
        stdout: bool,
        stderr: bool,
        tail: int | None,
        *,
        follow: bool,
    ) -> _LogSource:
        if not (stdout or stderr):
            raise ValueError("ask for stdout, stderr or both")
        # A TTY container's log is raw bytes; otherwise each chunk is framed by stream.
        tty = bool((await self._inspect_raw(container_id)).get("Config", {}).get("Tty"))
        params: dict[str, Any] = {"stdout": stdout, "stderr": stderr, "follow": follow}
        if tail is not None:
            params["tail"] = str(max(0, tail))
        response = await self._response(
            "read container logs",
            "GET",
            f"containers/{container_id}/logs",
            params=params,
            context={"container": container_id},
        )
        return _LogSource(response, tty=tty, errors=lambda: self._errors("read container logs"))

    async def _inspect_raw(self, container_id: str) -> dict[str, Any]:
        client = await self._docker()
        with self._errors("inspect container", container=container_id):
            data: dict[str, Any] = await client.containers.container(container_id).show()
        return data

    # -- images -------------------------------------------------------------------------------

    async def image_exists(self, ref: str) -> bool:
        async def attempt() -> bool:
            client = await self._docker()
            try:
                with self._errors("inspect image", image=ref):
                    await client.images.inspect(ref)
            except DockerNotFoundError:
                return False
            return True

        async with observe(log, "docker.image_exists", ref):
            return await self._read("inspect image", attempt)

    async def import_image(
        self,
        rootfs: bytes | os.PathLike[str] | str,
        repository: str,
        tag: str = "latest",
        *,
        changes: Sequence[str] = (),
    ) -> str:
        from yarl import URL

        check_repository(repository)
        data = rootfs if isinstance(rootfs, bytes) else await _read_file(rootfs)
        ref = f"{repository}:{tag}"
        query = [("fromSrc", "-"), ("repo", repository), ("tag", tag)]
        query += [("changes", change) for change in changes]
        async with observe(log, "docker.import_image", ref, size=len(data)):
            async with self._streamed(
                "import image",
                "POST",
                URL("images/create").with_query(query),
                data=io.BytesIO(data),  # aiohttp streams a file-like body in chunks
                headers={"Content-Type": "application/x-tar"},
                context={"image": ref},
            ) as response:
                await self._read_json_stream(f"import image {ref}", response)
            return await self._image_id(ref)

    async def build_image(self, context: bytes, tag: str, *, dockerfile: str = "Dockerfile") -> str:
        async with observe(log, "docker.build_image", tag, size=len(context)):
            async with self._streamed(
                "build image",
                "POST",
                "build",
                params={"t": tag, "dockerfile": dockerfile, "rm": "1", "forcerm": "1"},
                data=io.BytesIO(context),
                headers={"Content-Type": "application/x-tar"},
                context={"image": tag},
            ) as response:
                await self._read_json_stream(f"build image {tag}", response)
            return await self._image_id(tag)

    async def _image_id(self, ref: str) -> str:
        client = await self._docker()
        with self._errors("inspect image", image=ref):
            data = await client.images.inspect(ref)
        image_id: str = data["Id"]
        return image_id

    async def remove_image(self, ref: str, *, force: bool = False) -> None:
        client = await self._docker()
        async with observe(log, "docker.remove_image", ref, force=force):
            with self._errors("remove image", image=ref):
                await client.images.delete(ref, force=force)


class _LogSource:
    """The daemon's log response, un-framed into payload bytes."""

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        tty: bool,
        errors: Callable[[], Any],
    ) -> None:
        self._response = response
        self._tty = tty
        self._errors = errors

    async def read(self) -> bytes | None:
        with self._errors():
            content = self._response.content
            if self._tty:
                chunk = await content.readany()
                return chunk or None
            while True:
                try:
                    header = await content.readexactly(_FRAME_HEADER.size)
                except asyncio.IncompleteReadError:
                    return None
                _, length = _FRAME_HEADER.unpack(header)
                if length:
                    try:
                        return await content.readexactly(length)
                    except asyncio.IncompleteReadError as exc:
                        return exc.partial or None

    def close(self) -> None:
        self._response.close()


async def _read_file(path: os.PathLike[str] | str) -> bytes:
    import anyio

    return await anyio.Path(os.fspath(path)).read_bytes()


async def _gather(aws: Iterable[Awaitable[T]]) -> list[T]:
    """Await all concurrently (TaskGroup); raise the first failure itself, not a group."""
    results: dict[int, T] = {}
    failures: list[Exception] = []

    async def run(i: int, aw: Awaitable[T]) -> None:
        try:
            results[i] = await aw
        except Exception as exc:
            failures.append(exc)

    async with asyncio.TaskGroup() as tg:
        for i, aw in enumerate(aws):
            tg.create_task(run(i, aw))
    if failures:
        raise failures[0]
    return [results[i] for i in sorted(results)]


async def _settle(task: asyncio.Future[Any]) -> None:
    """Wait for ``task`` to end, whatever its outcome (the caller handles the aftermath)."""
    with suppress(BaseException):
        await task


def _decode(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", "replace")


def _wait_status(body: Any, container_id: str) -> int:
    if not isinstance(body, dict) or "StatusCode" not in body:
        raise DockerError(f"unexpected wait answer for container {container_id[:12]}: {body!r}")
    error = body.get("Error") or {}
    if error.get("Message"):
        raise DockerError(
            f"waiting for container {container_id[:12]} failed: {error['Message']}",
            container=container_id,
        )
    code: int = body["StatusCode"]
    return code


def _container_info(data: Mapping[str, Any]) -> ContainerInfo:
    state = data.get("State") or {}
    config = data.get("Config") or {}
    status = ContainerState(state.get("Status", "created"))
    exited = status in (ContainerState.EXITED, ContainerState.DEAD)
    path = data.get("Path") or ""
    command = ((path,) if path else ()) + tuple(data.get("Args") or ())
    return ContainerInfo(
        id=data["Id"],
        name=str(data.get("Name") or "").lstrip("/"),
        image=config.get("Image") or data.get("Image") or "",
        state=status,
        labels=dict(config.get("Labels") or {}),
        exit_code=state.get("ExitCode") if exited else None,
        started_at=parse_docker_time(state.get("StartedAt")),
        finished_at=parse_docker_time(state.get("FinishedAt")) if exited else None,
        created_at=parse_docker_time(data.get("Created")),
        command=command,
        error=state.get("Error") or "",
    )
