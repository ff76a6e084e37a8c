"""DockerEngineManager: the Engine API through one pooled aiodocker client.

Only bytes move here: each step of :class:`BaseDockerManager` becomes one request (or a
streamed answer this module owns and closes), its answer decoded with shape checks
(:mod:`._answers`), and every aiohttp/aiodocker failure becomes a :class:`PeerFailure` in one
place (:meth:`DockerEngineManager._failures`). aiodocker and aiohttp are imported when the
manager opens, never at module import.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from ..._clock import Clock
from ..._concurrency import map_bounded
from ..._decode import ShapeError
from ..._errors import DockerError
from ..._retry import RetryPolicy
from .._core import PeerFailure
from ._address import DEFAULT_SOCKET, docker_url
from ._answers import (
    api_version,
    container_info,
    container_tty,
    created_id,
    engine_message,
    exec_id,
    exec_state,
    image_id,
    listed_ids,
    progress_error,
    wait_outcome,
)
from ._base import BaseDockerManager
from ._frames import Deframer
from ._spec import ContainerSpec
from ._steps import DEFAULT_RETRY, ExecRequest, ExecSession, ExitWaiter, ImageImport, LogRequest
from ._stream import ChunkSource
from ._types import ContainerInfo

if TYPE_CHECKING:
    import aiodocker
    import aiohttp

__all__ = ["DEFAULT_RETRY", "DEFAULT_SOCKET", "DockerEngineManager", "docker_url"]

T = TypeVar("T")

LIST_CONCURRENCY = 16
"""Containers inspected at once while listing (the list answer lacks exit codes and times)."""
_EXEC_POLLS = 200  # x 5 ms: the output can end a moment before the daemon records the exit


class DockerEngineManager(BaseDockerManager):
    """:class:`DockerManager` on a real Docker daemon (Engine API), through aiodocker.

    Args:
        socket: The daemon: a socket path or ``unix://``/``tcp://`` URL (console_link's
            ``docker.socket``). Default: ``DOCKER_HOST``, else ``/var/run/docker.sock``.
        request_timeout: Seconds for each call, retries included. Calls that wait add their
            wait: ``stop_container(timeout=t)`` and, with ``timeout=t``, attached runs and
            execs get ``request_timeout + t``; ``wait_container(timeout=t)`` gets ``t``.
            Without ``t`` those wait as long as it takes (their short requests stay bounded).
        connect_timeout: Seconds to connect to the daemon.
        api_version: Pin the Engine API version (``"v1.41"``), or ``"auto"`` to negotiate.
        cleanup_timeout: Seconds allowed for removing a half-made container after a failed or
            cancelled ``run_container``.
        clock: Time source for deadlines, the short polls exec needs and the waits between
            retries.
        retry: Retry policy for transient failures (see :data:`DEFAULT_RETRY`); ``NO_RETRY``
            turns it off.

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
        super().__init__(
            endpoint=self.url,
            clock=clock,
            request_timeout=request_timeout,
            cleanup_timeout=cleanup_timeout,
            retry=retry,
        )
        if not connect_timeout > 0:
            raise ValueError(f"connect_timeout must be positive, not {connect_timeout!r}")
        self._connect_timeout = float(connect_timeout)
        self._api_version = api_version
        self._client: aiodocker.Docker | None = None
        self._version_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"DockerEngineManager(url={self._core.endpoint!r})"

    async def _open(self) -> None:
        import aiodocker
        import aiohttp

        client = aiodocker.Docker(
            url=self.url,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
            api_version=self._api_version,
        )
        # aiohttp resends a DELETE by itself when a pooled connection drops; the adapter core
        # decides what is safe to repeat.
        if hasattr(client.session, "_retry_connection"):
            client.session._retry_connection = False
        self._client = client

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- moving bytes -------------------------------------------------------------------------

    def _ready(self) -> aiodocker.Docker:
        client = self._client
        if client is None:
            state = "closed" if self.closed else "not open"
            raise RuntimeError(
                f"DockerEngineManager is {state}: use `async with DockerEngineManager() as docker:`"
            )
        return client

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """aiohttp's and aiodocker's exceptions as :class:`PeerFailure` (the one place)."""
        import aiodocker
        import aiohttp

        try:
            yield
        except aiohttp.ConnectionTimeoutError as exc:
            # Not even connected: the request never left.
            raise PeerFailure("unreachable", f"no connection ({exc})") from exc
        except aiohttp.ClientConnectorError as exc:
            raise PeerFailure("unreachable", str(exc.os_error or exc)) from exc
        except TimeoutError as exc:
            raise PeerFailure("timeout", "no complete answer in time") from exc
        except aiohttp.ClientResponseError as exc:
            # What came back is not HTTP at all.
            raise PeerFailure("malformed", f"not an HTTP answer ({exc.message})") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise PeerFailure("lost", f"{type(exc).__name__}: {exc}") from exc
        except aiodocker.DockerError as exc:  # only from aiodocker's exec stream
            if exc.status == 900:  # "Cannot connect to Docker Engine via URL [reason]"
                raise PeerFailure("unreachable", exc.message) from exc
            raise PeerFailure("status", exc.message, status=exc.status) from exc

    def _bound(self, left: float | None, *, long: bool = False) -> float | None:
        """The seconds one request may take: what the call has left, and at most the request
        timeout unless the request itself is long (a stop, an import). Never zero: aiohttp
        reads a zero timeout as none."""
        if long:
            bound = left
        else:
            bound = self.request_timeout if left is None else min(left, self.request_timeout)
        return None if bound is None else max(bound, 0.001)

    def _timeout(self, total: float | None) -> aiohttp.ClientTimeout:
        import aiohttp

        connect = self._connect_timeout if total is None else min(total, self._connect_timeout)
        return aiohttp.ClientTimeout(total=total, sock_connect=connect)

    async def _negotiate(self, client: aiodocker.Docker, bound: float | None) -> None:
        if client.api_version != "auto":
            return
        async with self._version_lock:  # once, not once per concurrent first call
            if client.api_version == "auto":
                status, body = await self._fetch(client, "GET", "version", bound, versioned=False)
                client.api_version = _decoded(status, _accepted(status, body), api_version)

    async def _fetch(
        self,
        client: aiodocker.Docker,
        method: str,
        path: str,
        bound: float | None,
        *,
        params: Any = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        versioned: bool = True,
    ) -> tuple[int, bytes]:
        if versioned:
            await self._negotiate(client, self._bound(bound))
        url = client._canonicalize_url(path, versioned_api=versioned)
        with self._failures():
            async with client.session.request(
                method,
                url,
                params=params,
                data=body,
                headers={"Content-Type": content_type} if body is not None else None,
                timeout=self._timeout(bound),
            ) as response:
                return response.status, await response.read()

    async def _call(
        self,
        method: str,
        path: str,
        left: float | None,
        *,
        long: bool = False,
        versioned: bool = True,
        **options: Any,
    ) -> tuple[int, bytes]:
        """One request and its whole answer; a refusal (4xx, 5xx) raises."""
        status, body = await self._fetch(
            self._ready(),
            method,
            path,
            self._bound(left, long=long),
            versioned=versioned,
            **options,
        )
        return status, _accepted(status, body)

    async def _json(
        self,
        method: str,
        path: str,
        left: float | None,
        parse: Callable[[bytes], T],
        **options: Any,
    ) -> T:
        status, body = await self._call(method, path, left, **options)
        return _decoded(status, body, parse)

    async def _stream(
        self, method: str, path: str, left: float | None, *, params: Any = None
    ) -> aiohttp.ClientResponse:
        """A request whose answer is read as it comes (a wait, a followed log): its head
        within the request timeout, its body for as long as it takes. The caller closes it."""
        client = self._ready()
        bound = self._bound(left)
        await self._negotiate(client, bound)
        url = client._canonicalize_url(path)
        with self._failures():
            async with asyncio.timeout(bound):
                response = await client.session.request(
                    method, url, params=params, timeout=self._timeout(None)
                )
            if response.status >= 400:
                try:
                    async with asyncio.timeout(bound):
                        body = await response.read()
                finally:
                    response.close()
                raise PeerFailure("status", engine_message(body), status=response.status)
        return response

    # -- containers ---------------------------------------------------------------------------

    async def _ping(self, left: float | None) -> None:
        status, body = await self._call("GET", "_ping", left, versioned=False)
        if body.strip() != b"OK":
            raise PeerFailure("malformed", f"ping answered {body[:40]!r}, not 'OK'", status=status)

    async def _create(self, spec: ContainerSpec, token: str, left: float | None) -> str:
        config = json.dumps(spec.engine_config(token)).encode()
        params = {"name": spec.name} if spec.name else None
        return await self._json(
            "POST", "containers/create", left, created_id, params=params, body=config
        )

    async def _start(self, container_id: str, left: float | None) -> None:
        await self._call("POST", f"containers/{_path(container_id)}/start", left)

    async def _stop(self, container_id: str, grace: int | None, left: float | None) -> None:
        params = None if grace is None else {"t": str(grace)}
        await self._call(
            "POST", f"containers/{_path(container_id)}/stop", left, long=True, params=params
        )

    async def _remove(self, container_id: str, force: bool, left: float | None) -> None:
        params = {"force": _flag(force)}
        await self._call("DELETE", f"containers/{_path(container_id)}", left, params=params)

    async def _inspect(self, ref: str, left: float | None) -> ContainerInfo:
        return await self._json("GET", f"containers/{_path(ref)}/json", left, container_info)

    async def _tty(self, container_id: str, left: float | None) -> bool:
        return await self._json(
            "GET", f"containers/{_path(container_id)}/json", left, container_tty
        )

    async def _list(
        self, labels: Mapping[str, str], all: bool, left: float | None
    ) -> list[ContainerInfo]:
        params = {"all": _flag(all)}
        if labels:
            params["filters"] = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        ids = await self._json("GET", "containers/json", left, listed_ids, params=params)
        # The list answer lacks exit codes and start/finish times: inspect each, so listed
        # and inspected containers look the same.
        found = await map_bounded(self._inspected, ids, limit=LIST_CONCURRENCY)
        return [info for info in found if info is not None]

    async def _wait(self, container_id: str, condition: str, left: float | None) -> ExitWaiter:
        response = await self._stream(
            "POST",
            f"containers/{_path(container_id)}/wait",
            left,
            params={"condition": condition},
        )
        return _Waiter(self, response)

    async def _logs(self, request: LogRequest, left: float | None) -> ChunkSource:
        params = {
            "stdout": _flag(request.stdout),
            "stderr": _flag(request.stderr),
            "follow": _flag(request.follow),
        }
        if request.tail is not None:
            params["tail"] = str(max(0, request.tail))
        path = f"containers/{_path(request.container_id)}/logs"
        if request.follow:
            response = await self._stream("GET", path, left, params=params)
            return _LogSource(self, response, request.tty)
        status, body = await self._call("GET", path, left, params=params)
        if request.tty:
            return _Chunks([body] if body else [])
        try:
            deframer = Deframer()
            frames = deframer.feed(body) + deframer.end()
        except ShapeError as exc:
            raise PeerFailure("malformed", str(exc), status=status) from None
        return _Chunks([payload for _, payload in frames if payload])

    # -- exec ---------------------------------------------------------------------------------

    async def _exec(self, request: ExecRequest, left: float | None) -> ExecSession:
        import aiodocker.execs

        config = {
            "Cmd": list(request.argv),
            "AttachStdin": False,
            "AttachStdout": True,
            "AttachStderr": True,
            "Tty": False,
            "Env": list(request.env) or None,
            "WorkingDir": request.workdir or "",
            "User": request.user or "",
        }
        made = await self._json(
            "POST",
            f"containers/{_path(request.container_id)}/exec",
            left,
            exec_id,
            body=json.dumps(config).encode(),
        )
        stream = aiodocker.execs.Exec(self._ready(), made, tty=False).start(detach=False)
        try:
            with self._failures(), _aiodocker_garbage():
                async with asyncio.timeout(self._bound(left)):
                    await stream.__aenter__()  # the upgrade to a raw stream
        except BaseException:
            await stream.close()
            raise
        return _ExecSession(self, made, stream)

    async def _exec_state(self, exec_id_: str) -> tuple[bool, int | None]:
        return await self._json("GET", f"exec/{exec_id_}/json", None, exec_state)

    # -- images -------------------------------------------------------------------------------

    async def _image_exists(self, ref: str, left: float | None) -> bool:
        status, body = await self._fetch(
            self._ready(), "GET", f"images/{_path(ref)}/json", self._bound(left)
        )
        if status == 404:
            return False
        _decoded(status, _accepted(status, body), image_id)
        return True

    async def _image_id(self, ref: str, left: float | None) -> str:
        return await self._json("GET", f"images/{_path(ref)}/json", left, image_id)

    async def _import(self, request: ImageImport, left: float | None) -> None:
        query = [("fromSrc", "-"), ("repo", request.repository), ("tag", request.tag)]
        query += [("changes", change) for change in request.changes]
        await self._progress("POST", "images/create", left, params=query, body=request.data)

    async def _build(self, context: bytes, tag: str, dockerfile: str, left: float | None) -> None:
        params = {"t": tag, "dockerfile": dockerfile, "rm": "1", "forcerm": "1"}
        await self._progress("POST", "build", left, params=params, body=context)

    async def _progress(self, method: str, path: str, left: float | None, **options: Any) -> None:
        """Send an import or build and read its progress stream to the end."""
        status, body = await self._call(
            method, path, left, long=True, content_type="application/x-tar", **options
        )
        try:
            error = progress_error(body)
        except ShapeError as exc:
            raise PeerFailure("malformed", str(exc), status=status) from None
        if error is not None:
            raise PeerFailure("status", error)

    async def _remove_image(self, ref: str, force: bool, left: float | None) -> None:
        await self._call("DELETE", f"images/{_path(ref)}", left, params={"force": _flag(force)})


class _Waiter:
    """A registered wait: the daemon answers once the container reaches the condition."""

    def __init__(self, manager: DockerEngineManager, response: aiohttp.ClientResponse) -> None:
        self._manager = manager
        self._response = response

    async def exit_code(self) -> int:
        with self._manager._failures():
            body = await self._response.read()
        code, error = _decoded(self._response.status, body, wait_outcome)
        if error:
            raise PeerFailure("status", f"waiting for the container failed: {error}")
        return code

    async def aclose(self) -> None:
        self._response.close()


class _Chunks:
    """A log already read to its end."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = deque(chunks)

    async def read(self) -> bytes | None:
        return self._chunks.popleft() if self._chunks else None

    def close(self) -> None:
        self._chunks.clear()


class _LogSource:
    """A followed log: the daemon's streamed answer, un-framed into payload bytes."""

    def __init__(
        self, manager: DockerEngineManager, response: aiohttp.ClientResponse, tty: bool
    ) -> None:
        self._manager = manager
        self._response = response
        self._deframer = None if tty else Deframer()
        self._ready: deque[bytes] = deque()

    async def read(self) -> bytes | None:
        while not self._ready:
            with self._manager._failures():
                chunk = await self._response.content.readany()
            deframer = self._deframer
            if deframer is None:
                return chunk or None
            try:
                frames = deframer.feed(chunk) if chunk else deframer.end()
            except ShapeError as exc:
                raise PeerFailure("malformed", str(exc), status=self._response.status) from None
            self._ready.extend(payload for _, payload in frames if payload)
            if not chunk and not self._ready:
                return None
        return self._ready.popleft()

    def close(self) -> None:
        self._response.close()


class _ExecSession:
    """A command started in a container over a raw (hijacked) stream."""

    def __init__(self, manager: DockerEngineManager, exec_id_: str, stream: Any) -> None:
        self._manager = manager
        self._id = exec_id_
        self._stream = stream

    async def read(self) -> tuple[int, bytes] | None:
        with self._manager._failures():
            message = await self._stream.read_out()
        return None if message is None else (int(message.stream), bytes(message.data))

    async def exit_code(self) -> int:
        manager = self._manager
        for _ in range(_EXEC_POLLS):
            running, code = await manager._exec_state(self._id)
            if not running and code is not None:
                return code
            await manager.clock.sleep(0.005)
        raise DockerError(f"exec {self._id[:12]}: output ended but the process still runs")

    async def aclose(self) -> None:
        await self._stream.close()


@contextmanager
def _aiodocker_garbage() -> Iterator[None]:
    # aiodocker decodes a refused upgrade's body itself, trusting it to be JSON.
    try:
        yield
    except (ValueError, KeyError, TypeError) as exc:
        raise PeerFailure("malformed", f"unreadable refusal ({type(exc).__name__})") from exc


def _accepted(status: int, body: bytes) -> bytes:
    """``body`` of an answer that is no refusal; a 4xx or 5xx raises with the daemon's words."""
    if status >= 400:
        raise PeerFailure("status", engine_message(body), status=status)
    return body


def _decoded(status: int, body: bytes, parse: Callable[[bytes], T]) -> T:
    try:
        return parse(body)
    except ShapeError as exc:
        raise PeerFailure("malformed", str(exc), status=status) from None


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _path(ref: str) -> str:
    """A container or image reference as a path segment (image names keep their slashes)."""
    return quote(ref, safe="/:@")
