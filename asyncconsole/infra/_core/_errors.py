"""One translation from a :class:`PeerFailure` to the error tree, per system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..._errors import InfrastructureError, MalformedResponseError, OperationTimeoutError
from ._failure import PeerFailure

__all__ = ["ErrorTypes"]


@dataclass(frozen=True)
class ErrorTypes:
    """The classes one system's errors are made of, and how to make them.

    Attributes:
        system: How messages name the system (``"Docker daemon"``, ``"Kubernetes API"``).
        base: The system's error class (``DockerError``); its constructor takes a message and
            keyword context.
        not_found / conflict: Raised for 404 / 409 (default: ``base``).
        timeout: Raised when a call's deadline passes; also an ``OperationTimeoutError``.
        unavailable: Raised when the peer cannot be reached (default: ``base``).
        build: Makes an error from ``(class, message, action=..., **context)`` when the
            system's classes need more than a message and keyword context (HTTP's need a
            method and URL, which it reads from the action ``"GET https://host/path"``).
    """

    system: str
    base: type[InfrastructureError]
    timeout: type[OperationTimeoutError]
    not_found: type[InfrastructureError] | None = None
    conflict: type[InfrastructureError] | None = None
    unavailable: type[InfrastructureError] | None = None
    build: Callable[..., InfrastructureError] | None = None

    def make(self, failure: PeerFailure, action: str, endpoint: str) -> InfrastructureError:
        """The typed error for ``failure`` of ``action`` (``"get deployment ns/web"``) against
        ``endpoint`` (already free of secrets), chained by the caller to the failure's cause."""
        kind = failure.kind
        if kind == "malformed":
            status = f" (status {failure.status})" if failure.status is not None else ""
            error: InfrastructureError = MalformedResponseError(
                f"{action}: malformed answer from the {self.system} at {endpoint}{status}: "
                f"{failure.detail}",
                endpoint=endpoint,
                status=failure.status,
                problem=failure.detail,
                **failure.context,
            )
        elif kind == "timeout":
            error = self.timed_out(action, endpoint, failure.context.pop("timeout", None))
            error.context.update(failure.context)
        else:
            if kind == "status":
                # A refusal may come without a status (an error entry in a progress stream).
                status = f"status {failure.status} " if failure.status is not None else ""
                what = f"{failure.detail or 'refused'} ({status}from {endpoint})"
                cls = {404: self.not_found, 409: self.conflict}.get(failure.status or 0)
            elif kind == "unreachable":
                what = f"the {self.system} at {endpoint} is unreachable ({failure.detail})"
                cls = self.unavailable
            else:
                what = f"no answer from the {self.system} at {endpoint} ({failure.detail})"
                cls = self.unavailable
            error = self._new(cls or self.base, f"{action}: {what}", failure, action)
        error.transient = failure.transient
        error.retry_after = failure.retry_after
        error.sent = failure.sent
        return error

    def timed_out(
        self, action: str, endpoint: str, timeout: float | None, detail: str = ""
    ) -> InfrastructureError:
        """The typed timeout of ``action``: no answer (or not done) within ``timeout`` seconds."""
        limit = f" within {timeout:g}s" if timeout is not None else " in time"
        text = f"{action}: {detail or f'no answer from the {self.system} at {endpoint}'}{limit}"
        error = self._construct(
            self.timeout, text, {"timeout": timeout, "endpoint": endpoint}, action
        )
        error.transient = True
        return error

    def _new(
        self, cls: type[InfrastructureError], message: str, failure: PeerFailure, action: str
    ) -> InfrastructureError:
        context: dict[str, Any] = dict(failure.context)
        if failure.status is not None:
            context.setdefault("status", failure.status)
        if failure.code is not None:
            context.setdefault("code", failure.code)
        return self._construct(cls, message, context, action)

    def _construct(
        self, cls: type[Any], message: str, context: dict[str, Any], action: str
    ) -> InfrastructureError:
        if self.build is not None:
            error = self.build(cls, message, action=action, **context)
        else:
            error = cls(message, **context)
        assert isinstance(error, InfrastructureError)
        return error
