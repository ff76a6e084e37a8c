"""Request authentication: HTTP Basic (the security plugin's 401) and SigV4 (AWS's 403).

SigV4 requests are verified by re-signing the signed headers with the project's pure signer
(``sign_sigv4``, itself checked byte for byte against botocore) and comparing signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ...infra.http import AwsCredentials, BasicAuth, SigV4Auth, sign_sigv4
from ._errors import RawError

__all__ = ["Authenticator", "make_authenticator"]


class Authenticator:
    """Checks one request; raises :class:`ApiError` when it is not allowed."""

    def check(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        """Accept every request."""


class _Basic(Authenticator):
    def __init__(self, username: str, password: str) -> None:
        self._expected = base64.b64encode(f"{username}:{password}".encode()).decode()

    def check(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() == "basic" and hmac.compare_digest(token.strip(), self._expected):
            return
        raise _Unauthorized()


class _SigV4(Authenticator):
    def __init__(self, credentials: AwsCredentials, region: str, service: str) -> None:
        self.credentials = credentials
        self.region = region
        self.service = service

    def check(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        problem = self.problem(method, url, headers, body)
        if problem is not None:
            raise _Forbidden(problem)

    def problem(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> str | None:
        authz = headers.get("authorization", "")
        if not authz.startswith("AWS4-HMAC-SHA256 "):
            return "Missing Authentication Token"
        try:
            fields = dict(
                part.strip().split("=", 1)
                for part in authz.removeprefix("AWS4-HMAC-SHA256 ").split(",")
            )
            access_key, date, region, service, terminal = fields["Credential"].split("/")
            signed_names = fields["SignedHeaders"].split(";")
            signature = fields["Signature"]
        except (KeyError, ValueError):
            return "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'"
        if access_key != self.credentials.access_key:
            return "The security token included in the request is invalid."
        if (region, service, terminal) != (self.region, self.service, "aws4_request"):
            return f"Credential should be scoped to a valid region and service ({region}/{service})"
        amz_date = headers.get("x-amz-date", "")
        if not amz_date.startswith(date):
            return "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
        token = self.credentials.token
        if token is not None and headers.get("x-amz-security-token") != token.get():
            return "The security token included in the request is invalid."
        declared = headers.get("x-amz-content-sha256")
        if declared is not None and declared != hashlib.sha256(body).hexdigest():
            return "The provided 'x-amz-content-sha256' header does not match what was computed."
        missing = [n for n in signed_names if n not in headers]
        if missing:
            return f"Signed headers missing from the request: {', '.join(missing)}"
        try:
            when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "X-Amz-Date is not in ISO-8601 basic format"
        signed = {name: headers[name] for name in signed_names if name != "x-amz-date"}
        expected = sign_sigv4(
            method,
            url,
            signed,
            body,
            credentials=self.credentials,
            region=self.region,
            service=self.service,
            timestamp=when,
            content_sha256="x-amz-content-sha256" in signed_names,
        )
        ours = expected["Authorization"].rpartition("Signature=")[2]
        if not hmac.compare_digest(ours, signature):
            return (
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method."
            )
        return None


class _Unauthorized(RawError):
    """The security plugin's answer: plain text ``Unauthorized`` and a Basic challenge."""

    def __init__(self) -> None:
        super().__init__(401, "security_exception", "Unauthorized")
        self.headers["WWW-Authenticate"] = 'Basic realm="OpenSearch Security"'

    def body(self) -> Any:
        return "Unauthorized"


class _Forbidden(RawError):
    def __init__(self, message: str) -> None:
        super().__init__(403, "security_exception", message)

    def body(self) -> dict[str, Any]:
        return {"message": self.reason}


def make_authenticator(auth: Any) -> Authenticator:
    """From ``None``, ``("user", "password")``, a ``BasicAuth`` or a ``SigV4Auth``."""
    if auth is None:
        return Authenticator()
    if isinstance(auth, tuple) and len(auth) == 2:
        return _Basic(str(auth[0]), str(auth[1]))
    if isinstance(auth, BasicAuth):
        return _Basic(auth.username, auth.password.get())
    if isinstance(auth, SigV4Auth):
        if auth.credentials is None or auth.region is None:
            raise ValueError("FakeOpenSearchServer needs SigV4Auth with credentials and a region")
        return _SigV4(auth.credentials, auth.region, auth.service)
    raise TypeError(f"unsupported auth for FakeOpenSearchServer: {type(auth).__name__}")
