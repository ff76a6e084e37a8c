"""What went wrong with a peer, before it is typed: adapters report it, the core types it."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["FailureKind", "PeerFailure"]

FailureKind = Literal["status", "unreachable", "lost", "timeout", "malformed"]
"""- ``status``: the peer answered and refused (``status`` says how: 404, 409, 503...).
- ``unreachable``: the request certainly never reached the peer (refused, no such host).
- ``lost``: the request may have reached the peer but no answer came (reset, disconnect).
- ``timeout``: no (complete) answer within the time allowed.
- ``malformed``: an answer came that is not what the API documents.
"""


class PeerFailure(Exception):
    """A failed exchange with a peer, in neutral terms.

    A real adapter turns its library's exception into one (``raise PeerFailure(...) from exc``);
    a fake raises one for a simulated refusal. :class:`~asyncconsole.infra._core.AdapterCore`
    turns it into the adapter's typed error, so real and fake report failures alike. It never
    escapes the core.

    Attributes:
        kind: What happened (see :data:`FailureKind`).
        detail: The peer's own words, or what was wrong with its answer.
        status: The peer's status code, when it answered.
        code: The peer's error code (AWS ``ThrottlingException``, Kubernetes ``reason``).
        retry_after: Seconds the peer asked us to wait before trying again.
        transient: Whether trying again may succeed (default: from ``kind`` and ``status``).
        context: Attributes for the typed error (``container=...``, ``query=...``).
    """

    def __init__(
        self,
        kind: FailureKind,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        transient: bool | None = None,
        **context: Any,
    ) -> None:
        super().__init__(detail)
        self.kind: FailureKind = kind
        self.detail = detail
        self.status = status
        self.code = code
        self.retry_after = retry_after
        if transient is None:
            transient = kind in ("unreachable", "lost", "timeout") or (
                kind == "status" and status is not None and (status == 429 or status >= 500)
            )
        self.transient = transient
        self.context = context

    @property
    def sent(self) -> bool:
        """Whether the request may have reached the peer (and so may have taken effect)."""
        return self.kind != "unreachable"
