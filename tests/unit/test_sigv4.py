"""sign_sigv4 and SigV4Auth against botocore's SigV4Auth as the oracle."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import botocore.auth
import botocore.session
import pytest
from botocore.auth import SigV4Auth as BotocoreSigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, RefreshableCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncconsole import ConfigError, FakeClock, Secret
from asyncconsole._errors import AwsError
from asyncconsole.infra.http import AwsCredentials, Headers, HttpRequest, SigV4Auth, sign_sigv4
from asyncconsole.infra.http._client import encode_query, quote_path


def botocore_authorization(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    credentials: AwsCredentials,
    region: str,
    service: str,
    timestamp: datetime,
    params: list[tuple[str, str]] | None = None,
) -> str:
    """botocore's Authorization for the headers sign_sigv4 chose to send, at ``timestamp``."""
    request = AWSRequest(
        method=method,
        url=url,
        headers={k: v for k, v in headers.items() if k != "Authorization"},
        data=body,
        params=cast(Any, params or {}),  # botocore accepts pairs too; its stubs say Mapping
    )
    frozen = timestamp.astimezone(UTC).replace(tzinfo=None)
    signer = BotocoreSigV4Auth(
        Credentials(
            credentials.access_key,
            credentials.secret_key.get(),
            credentials.token.get() if credentials.token else None,
        ),
        service,
        region,
    )
    # Freeze botocore's clock the way its own SigV4 tests do.
    auth_module: Any = botocore.auth
    original = auth_module.get_current_datetime
    auth_module.get_current_datetime = lambda *a, **k: frozen
    try:
        signer.add_auth(request)
    finally:
        auth_module.get_current_datetime = original
    value: str = request.headers["Authorization"]
    return value


TS = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
CREDS = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN_CREDS = AwsCredentials("ASIAEXAMPLE", "secret/+=", "IQoJb3JpZ2luX2VjE//token+/==")

segment = st.text(
    alphabet=st.sampled_from([*"abcXYZ019-_.~ %+*,:@=&!$'()ü中é/", "😀"]),
    max_size=12,
)
query_key = st.text(alphabet=st.sampled_from(list("abAB_-.~ +*%/ü=")), min_size=1, max_size=6)
query_value = st.text(alphabet=st.sampled_from(list("ab01 +*,/:%ü&=?")), max_size=8)
header_value = st.text(alphabet=st.sampled_from(list("ab01 \t,;=/*-")), max_size=16)
header_name = st.one_of(
    st.from_regex(r"\Ax-[a-z]{1,8}\Z"),
    st.sampled_from(["Content-Type", "User-Agent", "Accept", "X-Opaque-Id", "Connection"]),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    scheme = draw(st.sampled_from(["https", "http"]))
    host = draw(st.sampled_from(["search-x.us-east-1.es.amazonaws.com", "Localhost", "10.0.0.1"]))
    port = draw(st.sampled_from(["", ":443", ":80", ":9200"]))
    raw_path = "/" + "/".join(draw(st.lists(segment, max_size=4)))
    pairs = draw(st.lists(st.tuples(query_key, query_value), max_size=5))
    repeat: bool = draw(st.booleans())
    if pairs and repeat:
        pairs.append(pairs[0])  # repeated key (and value)
    names = draw(st.lists(header_name, max_size=4, unique_by=str.lower))
    headers = {name: draw(header_value) for name in names}
    body = draw(st.one_of(st.just(b""), st.binary(max_size=64), st.just(b'{"q": "\xc3\xbc"}')))
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"])),
        "base": f"{scheme}://{host}{port}",
        "path": quote_path(raw_path),
        "pairs": pairs,
        "headers": headers,
        "body": body,
        "credentials": draw(st.sampled_from([CREDS, TOKEN_CREDS])),
        "service": draw(st.sampled_from(["es", "aoss"])),
        "region": draw(st.sampled_from(["us-east-1", "eu-west-3"])),
        "timestamp": draw(
            st.datetimes(
                min_value=datetime(2015, 1, 1),
                max_value=datetime(2035, 1, 1),
                timezones=st.just(UTC),
            )
        ),
    }


@settings(max_examples=200, deadline=None)
@given(requests())
def test_signature_equals_botocore_for_generated_requests(r: dict[str, Any]) -> None:
    query = encode_query("", r["pairs"])
    url = r["base"] + r["path"] + (f"?{query}" if query else "")
    common = {
        "credentials": r["credentials"],
        "region": r["region"],
        "service": r["service"],
        "timestamp": r["timestamp"],
    }
    signed = sign_sigv4(r["method"], url, r["headers"], r["body"], **common)
    assert signed["Authorization"] == botocore_authorization(
        r["method"], url, signed, r["body"], **common
    )
    # botocore given the same parameters separately (its own request path) agrees too.
    plain_url = r["base"] + r["path"]
    if r["pairs"]:
        assert signed["Authorization"] == botocore_authorization(
            r["method"], plain_url, signed, r["body"], params=r["pairs"], **common
        )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab1_-.~=&+%/ü ", "%41", "%2B", "%e4"]), max_size=20).map("".join),
    st.sampled_from(["GET", "POST"]),
)
def test_queries_written_in_the_path_are_sent_as_signed(raw_query: str, method: str) -> None:
    """A query the caller wrote into the path is sent normalised, so botocore's raw view of
    the URL the server receives gives the same signature."""
    query = encode_query(raw_query, None)
    url = "https://h.example.com/p" + (f"?{query}" if query else "")
    signed = sign_sigv4(
        method, url, {}, b"", credentials=CREDS, region="us-east-1", service="es", timestamp=TS
    )
    assert signed["Authorization"] == botocore_authorization(
        method, url, signed, b"", credentials=CREDS, region="us-east-1", service="es", timestamp=TS
    )


def test_signed_headers_follow_the_request() -> None:
    body = b'{"query":{"match_all":{}}}'
    signed = sign_sigv4(
        "POST",
        "https://search-x.us-east-1.es.amazonaws.com/idx/_search",
        {"Content-Type": "application/json", "User-Agent": "ua", "Authorization": "stale"},
        body,
        credentials=TOKEN_CREDS,
        region="us-east-1",
        service="es",
        timestamp=TS,
    )
    assert signed["X-Amz-Date"] == "20240506T070809Z"
    assert signed["X-Amz-Security-Token"] == "IQoJb3JpZ2luX2VjE//token+/=="
    assert signed["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert signed["User-Agent"] == "ua"
    authz = signed["Authorization"]
    assert authz.startswith("AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240506/us-east-1/es/")
    assert (
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
        in authz
    )
    assert "user-agent" not in authz
    assert "stale" not in signed.values()


def test_content_sha256_only_with_a_body_except_for_aoss() -> None:
    url = "https://x.us-east-1.aoss.amazonaws.com/"
    plain = sign_sigv4(
        "GET", url, {}, b"", credentials=CREDS, region="r", service="es", timestamp=TS
    )
    assert "x-amz-content-sha256" not in plain
    assert "X-Amz-Security-Token" not in plain
    aoss = sign_sigv4(
        "GET", url, None, None, credentials=CREDS, region="r", service="aoss", timestamp=TS
    )
    assert aoss["x-amz-content-sha256"] == hashlib.sha256(b"").hexdigest()


def test_naive_timestamp_is_utc_and_str_body_is_utf8() -> None:
    url = "https://h/p"
    aware = sign_sigv4(
        "PUT", url, {}, "ü", credentials=CREDS, region="r", service="es", timestamp=TS
    )
    naive = sign_sigv4(
        "PUT",
        url,
        {},
        "ü".encode(),
        credentials=CREDS,
        region="r",
        service="es",
        timestamp=TS.replace(tzinfo=None),
    )
    assert aware == naive


def test_repeated_headers_are_signed_comma_joined() -> None:
    headers = Headers([("X-Dup", "b"), ("X-Dup", "a"), ("Host", "h")])
    signed = sign_sigv4(
        "GET", "https://h/", headers, b"", credentials=CREDS, region="r", service="es", timestamp=TS
    )
    assert signed["X-Dup"] == "b,a"
    assert signed["Authorization"] == botocore_authorization(
        "GET", "https://h/", signed, b"", credentials=CREDS, region="r", service="es", timestamp=TS
    )


def test_credentials_never_show() -> None:
    creds = AwsCredentials("AKID", "the-secret", Secret("the-token"))
    text = f"{creds!r} {creds}"
    assert "the-secret" not in text
    assert "the-token" not in text
    assert AwsCredentials("A", "S", "").token is None
    assert creds == AwsCredentials("AKID", Secret("the-secret"), "the-token")


async def test_sigv4auth_signs_for_the_signing_endpoint() -> None:
    auth = SigV4Auth(
        region="us-east-1",
        credentials=TOKEN_CREDS,
        signing_endpoint="https://search-domain.us-east-1.es.amazonaws.com/",
        clock=FakeClock(TS),
    )
    request = HttpRequest("GET", "http://127.0.0.1:8080/my%20idx/_count?q=a", Headers(), b"")
    headers = dict(await auth.headers_for(request))
    assert headers["Host"] == "search-domain.us-east-1.es.amazonaws.com"
    expected = botocore_authorization(
        "GET",
        "https://search-domain.us-east-1.es.amazonaws.com/my%20idx/_count?q=a",
        headers,
        b"",
        credentials=TOKEN_CREDS,
        region="us-east-1",
        service="es",
        timestamp=TS,
    )
    assert headers["Authorization"] == expected
    assert "secret" not in repr(auth)


def test_sigv4auth_rejects_a_signing_endpoint_without_host() -> None:
    with pytest.raises(ConfigError, match="signing_endpoint"):
        SigV4Auth(region="us-east-1", signing_endpoint="not a url")


@pytest.fixture
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    return monkeypatch


async def test_sigv4auth_reads_the_standard_chain(isolated_aws_env: pytest.MonkeyPatch) -> None:
    isolated_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    isolated_aws_env.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    isolated_aws_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    auth = SigV4Auth(clock=FakeClock(TS))
    request = HttpRequest("GET", "https://h/", Headers(), b"")
    headers = await auth.headers_for(request)
    assert "Credential=AKIDFROMENV/20240506/eu-west-1/es/aws4_request" in headers["Authorization"]
    assert auth.region == "eu-west-1"


async def test_sigv4auth_without_credentials_raises_aws_error(
    isolated_aws_env: pytest.MonkeyPatch,
) -> None:
    isolated_aws_env.delenv("AWS_ACCESS_KEY_ID", raising=False)
    isolated_aws_env.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    auth = SigV4Auth(region="us-east-1")
    with pytest.raises(AwsError, match="credentials"):
        await auth.headers_for(HttpRequest("GET", "https://h/", Headers(), b""))


async def test_sigv4auth_refreshes_expiring_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    threads: list[str] = []

    def refresh() -> dict[str, str]:
        calls.append("refresh")
        threads.append(threading.current_thread().name)
        expiry = datetime.now(UTC) + timedelta(hours=1)
        return {
            "access_key": f"ASIAREFRESHED{len(calls)}",
            "secret_key": "new-secret",
            "token": "new-token",
            "expiry_time": expiry.isoformat(),
        }

    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    creds = RefreshableCredentials.create_from_metadata(
        {"access_key": "ASIAOLD", "secret_key": "old", "token": "t", "expiry_time": soon},
        refresh_using=refresh,
        method="test",
    )

    class Session:
        def get_credentials(self) -> RefreshableCredentials:
            return creds

        def get_config_variable(self, name: str) -> str | None:
            return None

    monkeypatch.setattr(botocore.session, "get_session", lambda: Session())
    auth = SigV4Auth(region="us-east-1", clock=FakeClock(TS))
    request = HttpRequest("GET", "https://h/", Headers(), b"")
    first = await auth.headers_for(request)
    assert "Credential=ASIAREFRESHED1/" in first["Authorization"]
    assert first["X-Amz-Security-Token"] == "new-token"
    second = await auth.headers_for(request)
    assert "Credential=ASIAREFRESHED1/" in second["Authorization"]
    assert calls == ["refresh"]  # fresh for an hour: no second refresh
    assert threads[0] != threading.main_thread().name  # refreshed off the event loop


async def test_sigv4auth_reuses_converted_credentials(isolated_aws_env: pytest.MonkeyPatch) -> None:
    isolated_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    isolated_aws_env.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    auth = SigV4Auth(region="us-east-1")
    first = await auth.current_credentials()
    assert await auth.current_credentials() is first  # its signing-key cache survives
    assert first.access_key == "AKIDFROMENV"
    assert first.secret_key.get() == "env-secret"
