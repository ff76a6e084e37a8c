"""Feed exact samples into a real Prometheus through its remote-write receiver.

Prometheus must run with ``--web.enable-remote-write-receiver``. Samples are queryable as soon
as the write returns (no scrape delay) and may lie in the recent past (about an hour; older
ones are refused unless ``out_of_order_time_window`` allows them). The ``WriteRequest``
protobuf is encoded by hand (it is tiny) and compressed with snappy from ``cramjam``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .._errors import MetricsError
from .._resource import AsyncResource
from ..infra.http import HttpAuth
from ..infra.metrics._promql import JOB_LABEL, job_for_component
from ..infra.metrics._types import Point, require_utc

__all__ = ["PrometheusRemoteWriter", "encode_write_request"]

SeriesSamples = tuple[Mapping[str, str], Sequence[Point]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 two's complement, as protobuf encodes negative varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_write_request(series: Iterable[SeriesSamples]) -> bytes:
    """The protobuf ``prometheus.WriteRequest`` for ``series`` (uncompressed).

    Each item is ``(labels, points)``; ``labels`` must include ``__name__``. Timestamps are
    truncated to milliseconds; points should be ascending within a series.
    """
    out = bytearray()
    for labels, points in series:
        if not labels.get("__name__"):
            raise ValueError(f"series labels need a __name__: {dict(labels)}")
        body = bytearray()
        for name, value in sorted(labels.items()):
            body += _field(1, _field(1, name.encode()) + _field(2, value.encode()))
        for ts, sample_value in points:
            millis = (require_utc(ts, "sample timestamp") - _EPOCH) // timedelta(milliseconds=1)
            sample = b"\x09" + struct.pack("<d", float(sample_value)) + b"\x10" + _varint(millis)
            body += _field(2, sample)
        out += _field(1, bytes(body))
    return bytes(out)


class PrometheusRemoteWriter(AsyncResource):
    """Writes samples to ``<endpoint>/api/v1/write`` (remote-write protocol 0.1.0).

    :meth:`feed` has the shape :func:`check_metrics_collector` expects, and labels series the
    way the Migration Assistant's OpenTelemetry collector does (``exported_job``).

    Args:
        endpoint: Prometheus base URL.
        auth: Request authentication, when Prometheus requires it.
        allow_insecure / ca_bundle: TLS options, as for the collector.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        auth: HttpAuth | None = None,
        allow_insecure: bool = False,
        ca_bundle: str | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._settings: dict[str, Any] = {
            "auth": auth,
            "allow_insecure": allow_insecure,
            "ca_bundle": ca_bundle,
        }
        self._http: Any = None

    async def _open(self) -> None:
        from ..infra.http import AiohttpClient

        self._http = await AiohttpClient(
            base_url=self.endpoint, raise_for_status=False, retry=False, **self._settings
        ).open()

    async def _close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def write(self, series: Iterable[SeriesSamples]) -> None:
        """Send ``[(labels, points), ...]`` in one request; raise ``MetricsError`` if refused."""
        try:
            import cramjam
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "PrometheusRemoteWriter needs cramjam (pip install cramjam)"
            ) from exc
        if self._http is None:
            await self.open()
        body = bytes(cramjam.snappy.compress_raw(encode_write_request(series)))
        response = await self._http.request(
            "POST",
            "/api/v1/write",
            data=body,
            headers={
                "Content-Type": "application/x-protobuf",
                "Content-Encoding": "snappy",
                "X-Prometheus-Remote-Write-Version": "0.1.0",
            },
        )
        if response.status >= 300:
            raise MetricsError(
                f"Prometheus refused the remote write: HTTP {response.status}: "
                f"{response.text[:300].strip()}",
                query="remote write",
                status=response.status,
            )

    async def feed(
        self,
        component: str,
        name: str,
        labels: Mapping[str, str],
        points: Sequence[Point],
    ) -> None:
        """Write ``points`` as ``name{exported_job=<job of component>, **labels}``."""
        await self.write(
            [({**labels, "__name__": name, JOB_LABEL: job_for_component(component)}, points)]
        )
