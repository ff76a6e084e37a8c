"""sign_sigv4 vs botocore's SigV4Auth.add_auth on the same requests (budget: ratio <= 0.5).

Run: ``.venv/bin/python -m benchmarks.bench_sigv4``. botocore is timed on ``add_auth`` alone
(the AWSRequest is built once, outside the timing); ours on the whole ``sign_sigv4`` call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from botocore.auth import SigV4Auth as BotocoreSigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from asyncconsole.infra.http import AwsCredentials, sign_sigv4
from benchmarks._util import report

BUDGET = 0.5
URL = "https://search-domain.us-east-1.es.amazonaws.com"


def per_call(fn: Callable[[], object], *, loops: int = 5000, repeat: int = 7) -> float:
    """Median seconds per call over ``repeat`` runs of ``loops`` calls."""
    for _ in range(500):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t0) / loops)
    return statistics.median(samples)


def case(
    name: str, method: str, url: str, headers: dict[str, str], body: bytes, token: str | None
) -> bool:
    now = datetime.now(UTC)
    ours = AwsCredentials("ASIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    theirs = Credentials(ours.access_key, ours.secret_key.get(), token)
    signer = BotocoreSigV4Auth(theirs, "es", "us-east-1")
    signed = sign_sigv4(
        method,
        url,
        headers,
        body,
        credentials=ours,
        region="us-east-1",
        service="es",
        timestamp=now,
    )
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    if body:
        # botocore signs x-amz-content-sha256 when the header is present: give it the same set.
        request.headers["x-amz-content-sha256"] = signed["x-amz-content-sha256"]

    def ours_call() -> object:
        return sign_sigv4(
            method, url, headers, body, credentials=ours, region="us-east-1", service="es"
        )

    def ours_cold() -> object:
        fresh = AwsCredentials("ASIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
        return sign_sigv4(
            method, url, headers, body, credentials=fresh, region="us-east-1", service="es"
        )

    def botocore_call() -> object:
        signer.add_auth(request)
        return request

    botocore_s = per_call(botocore_call)
    ours_s = per_call(ours_call)
    cold_s = per_call(ours_cold)
    ok = ours_s / botocore_s <= BUDGET
    report(
        f"sigv4 {name}", ours_s * 1e6, botocore_s * 1e6, unit="us/request", budget="<= 0.5", ok=ok
    )
    report(
        f"sigv4 {name} (new credentials each call)",
        cold_s * 1e6,
        botocore_s * 1e6,
        unit="us/request",
        budget="info",
        ok=cold_s / botocore_s <= BUDGET,
    )
    return ok


def main() -> int:
    get_ok = case(
        "GET with session token",
        "GET",
        f"{URL}/_cat/indices/_all?format=json&v=true",
        {},
        b"",
        "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken==",
    )
    body = (b'{"query":{"match":{"message":"' + b"x" * 990 + b'"}}}')[:1024]
    post_ok = case(
        "1 KB POST",
        "POST",
        f"{URL}/logs-2024/_search",
        {"Content-Type": "application/json"},
        body,
        None,
    )
    print(f"sigv4 budget {'met' if get_ok and post_ok else 'MISSED'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
