"""AWS Signature Version 4, stdlib only (hashlib/hmac), byte-for-byte botocore's ``SigV4Auth``.

The canonical request follows botocore for non-S3 services such as ``es`` and ``aoss``:

* path: dot segments and repeated slashes removed, then URI-encoded once more (so a ``%20`` sent
  on the wire is signed as ``%2520``, as AWS expects outside S3);
* query: decoded, each name and value re-encoded with RFC 3986 unreserved characters only, sorted
  by name then value (repeated names kept);
* headers: lower-cased names, values with whitespace runs collapsed, repeated names joined with
  ``,``; botocore's unsigned headers (User-Agent, Connection, Expect, ...) are left out; ``host``
  comes from the URL (port only when not the scheme's default) unless a Host header is given.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus, urlsplit

from ._auth import AwsCredentials
from ._types import Headers

__all__ = ["CANONICAL_QUERY", "canonical_query", "sign_sigv4"]

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# botocore.auth.SIGNED_HEADERS_BLACKLIST: hop-by-hop and client-varying headers.
UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
# Headers the signer replaces: a stale value from a previous attempt must not be signed or sent.
_REPLACED = frozenset({"authorization", "x-amz-date", "x-amz-security-token", "date"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# name[=value] pairs of unreserved characters joined by "&": canonical encoding as it stands.
CANONICAL_QUERY = re.compile(
    r"(?:[\w\-.~]+(?:=[\w\-.~]*)?(?:&[\w\-.~]+(?:=[\w\-.~]*)?)*)?\Z", re.ASCII
)
_sha256 = hashlib.sha256


def sign_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    body: bytes | str | None,
    *,
    credentials: AwsCredentials,
    region: str,
    service: str,
    timestamp: datetime | None = None,
    content_sha256: bool | None = None,
) -> dict[str, str]:
    """Sign a request with AWS Signature Version 4 and return the headers to send.

    The result is ``headers`` (minus any stale ``Authorization``/``X-Amz-Date``/
    ``X-Amz-Security-Token``) plus ``X-Amz-Date``, ``X-Amz-Security-Token`` when the credentials
    carry a session token, ``x-amz-content-sha256`` when there is a body (always for ``aoss``),
    and ``Authorization``. Every header in the result except botocore's unsigned ones
    (User-Agent, ...) is signed; the signature equals botocore's ``SigV4Auth.add_auth`` for the
    same request and time.

    Args:
        method: HTTP method.
        url: The absolute URL as it will be sent (path percent-encoded); for a proxy, the URL
            of the signing endpoint.
        headers: Headers to sign and send (a mapping, or name/value pairs where a name may
            repeat). A ``Host`` header here is signed instead of the URL's.
        body: The request body (``str`` is UTF-8 encoded); ``None`` or empty for none.
        credentials: Access key, secret key and optional session token.
        region: AWS region, e.g. ``us-east-1``.
        service: Signing name, ``es`` for OpenSearch Service, ``aoss`` for Serverless.
        timestamp: Signing time (default now); naive datetimes are taken as UTC.
        content_sha256: Force (True) or suppress (False) the ``x-amz-content-sha256`` header;
            default: when there is a body, or the service is ``aoss``.
    """
    when = timestamp or datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    amz_date = (
        f"{when.year:04d}{when.month:02d}{when.day:02d}"
        f"T{when.hour:02d}{when.minute:02d}{when.second:02d}Z"
    )
    datestamp = amz_date[:8]

    payload = body.encode() if isinstance(body, str) else (body or b"")
    payload_hash = _sha256(payload).hexdigest() if payload else EMPTY_SHA256

    out: dict[str, str] = {}
    if headers:
        if isinstance(headers, Headers):
            pairs: Iterable[tuple[str, str]] = headers.raw_items()
        elif isinstance(headers, Mapping):
            pairs = headers.items()
        else:
            pairs = headers
        for name, value in pairs:
            if name.lower() in _REPLACED:
                continue
            # A repeated header is one comma-separated header, as HTTP allows and SigV4 signs.
            out[name] = f"{out[name]},{value}" if name in out else value
    out["X-Amz-Date"] = amz_date
    token = credentials.token
    if token is not None:
        out["X-Amz-Security-Token"] = token.get()
    if content_sha256 is None:
        content_sha256 = bool(payload) or service == "aoss"
    if content_sha256:
        for name in [n for n in out if n.lower() == "x-amz-content-sha256"]:
            del out[name]
        out["x-amz-content-sha256"] = payload_hash

    scheme, netloc, path, query, _ = urlsplit(url)

    # Canonical headers: lower-case, trimmed, repeated names joined with ",".
    signed: dict[str, str] = {}
    for name, value in out.items():
        key = name.lower()
        if key in UNSIGNED_HEADERS:
            continue
        value = " ".join(value.split())
        signed[key] = f"{signed[key]},{value}" if key in signed else value
    if "host" not in signed:
        signed["host"] = _host_header(scheme, netloc)
    names = sorted(signed)
    signed_headers = ";".join(names)
    canonical_headers = "".join(f"{n}:{signed[n]}\n" for n in names)

    canonical = "\n".join(
        (
            method.upper(),
            quote(_remove_dot_segments(path), safe="/~"),
            canonical_query(query),
            canonical_headers,
            signed_headers,
            out.get("X-Amz-Content-SHA256") or out.get("x-amz-content-sha256") or payload_hash,
        )
    )
    scope = f"{datestamp}/{region}/{service}/aws4_request"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{_sha256(canonical.encode()).hexdigest()}"
    )
    signing_key = credentials.signing_key(datestamp, region, service)
    signature = hmac.new(signing_key, string_to_sign.encode(), _sha256).hexdigest()
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return out


def canonical_query(query: str) -> str:
    """A raw query string in SigV4 canonical form: decoded, re-encoded (RFC 3986), sorted."""
    if not query:
        return ""
    pairs = []
    if CANONICAL_QUERY.match(query):
        # Already in canonical encoding (what AiohttpClient sends): only sort.
        for pair in query.split("&"):
            if pair:
                key, _, value = pair.partition("=")
                pairs.append((key, value))
    else:
        for pair in query.split("&"):
            if pair:
                key, _, value = pair.partition("=")
                pairs.append((_encode(unquote_plus(key)), _encode(unquote_plus(value))))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _host_header(scheme: str, netloc: str) -> str:
    # As botocore's _host_from_url: lower-case host, no userinfo, port only when not default.
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower()
    if port and int(port) != _DEFAULT_PORTS.get(scheme.lower()):
        return f"{host}:{int(port)}"
    return host


def _remove_dot_segments(path: str) -> str:
    # botocore.utils.normalize_url_path: RFC 3986 dot segments, and AWS drops empty segments.
    if not path:
        return "/"
    if "." not in path and "//" not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last
