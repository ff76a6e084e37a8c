"""Requests and responses crossing the :class:`HttpClient` protocol (never aiohttp objects)."""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from ..._decode import ShapeError, loads, shaped
from ._errors import malformed_error, status_error

T = TypeVar("T")

__all__ = ["Headers", "HttpRequest", "HttpResponse"]


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive HTTP headers that keep their original spelling and order.

    Repeated names (``Set-Cookie``) are joined with ``", "`` on lookup; :meth:`get_all` returns
    each value. The lower-case index is built on first lookup, so passing headers through is cheap.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        if type(items) is tuple:  # the hot path (responses): no ABC isinstance checks
            self._items: tuple[tuple[str, str], ...] = items
        elif items is None:
            self._items = ()
        elif isinstance(items, Headers):
            self._items = items._items
        elif isinstance(items, Mapping):
            self._items = tuple(items.items())
        else:
            self._items = tuple(items)
        self._index: dict[str, str] | None = None

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for name, value in self._items:
                key = name.lower()
                index[key] = f"{index[key]}, {value}" if key in index else value
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        return self._lookup()[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            key = name.lower()
            if key not in seen:
                seen.add(key)
                yield name

    def __len__(self) -> int:
        return len(self._lookup())

    def get_all(self, name: str) -> list[str]:
        """Every value sent under ``name`` (case-insensitive), in order."""
        key = name.lower()
        return [v for n, v in self._items if n.lower() == key]

    def raw_items(self) -> tuple[tuple[str, str], ...]:
        """The (name, value) pairs as received, repeats included."""
        return self._items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._lookup() == {str(k).lower(): v for k, v in other.items()}
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._lookup().items())))

    def __repr__(self) -> str:
        return f"Headers({dict(self._items)!r})"


def _decode(body: bytes, headers: Headers) -> str:
    content_type = headers.get("content-type", "")
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as sent: method, absolute URL (percent-encoded), headers and body bytes.

    Fakes' handlers receive these; auth objects sign them.
    """

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def path(self) -> str:
        """The URL's path (still percent-encoded)."""
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> list[tuple[str, str]]:
        """The decoded query parameters, repeats kept, in order."""
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def text(self) -> str:
        """The body decoded (charset from Content-Type, else UTF-8)."""
        return _decode(self.body, self.headers)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete response: status, headers and the whole body.

    Build one in a fake's handler with :meth:`build`.
    """

    method: str
    url: str
    status: int
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    reason: str = ""

    @classmethod
    def build(
        cls,
        status: int = 200,
        *,
        json: Any = None,
        text: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        request: HttpRequest | None = None,
    ) -> HttpResponse:
        """A response with a JSON, text or bytes body (Content-Type set accordingly).

        ``request`` fills method and URL; fakes fill them in when it is omitted.
        """
        hdrs = dict(headers or {})
        lower = {k.lower() for k in hdrs}
        if json is not None:
            payload = _json.dumps(json).encode()
            if "content-type" not in lower:
                hdrs["Content-Type"] = "application/json"
        elif text is not None:
            payload = text.encode()
            if "content-type" not in lower:
                hdrs["Content-Type"] = "text/plain; charset=utf-8"
        else:
            payload = body or b""
        return cls(
            method=request.method if request else "",
            url=request.url if request else "",
            status=status,
            headers=Headers(hdrs),
            body=payload,
        )

    @property
    def ok(self) -> bool:
        """Whether the status is below 400 (as in requests)."""
        return self.status < 400

    @property
    def text(self) -> str:
        """The body decoded (charset from Content-Type, else UTF-8)."""
        return _decode(self.body, self.headers)

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            MalformedResponseError: It is not JSON (an HTML page, truncated, empty, not UTF-8,
                nested too deeply); also a ``ValueError``. The error names the URL and status.
        """
        try:
            return loads(self.body)
        except ShapeError as exc:
            raise malformed_error(self, str(exc)) from None

    def parse(self, parser: Callable[[Any], T], what: str) -> T:
        """``parser`` applied to :meth:`json`: a missing key, a list where an object is due,
        any sign of the wrong shape raises :class:`~asyncconsole.MalformedResponseError`
        about ``what`` (``"snapshot list"``), naming the URL and status."""
        data = self.json()
        try:
            return shaped(data, parser, what)
        except ShapeError as exc:
            raise malformed_error(self, str(exc)) from None

    def raise_for_status(self) -> HttpResponse:
        """Raise :class:`~asyncconsole.HttpError` for a 4xx or 5xx status; else return ``self``."""
        if self.status >= 400:
            raise status_error(self)
        return self
