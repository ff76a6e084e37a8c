"""Values crossing the secret-store protocol."""

from __future__ import annotations

from dataclasses import dataclass

from ..._secret import Secret

__all__ = ["BasicAuthSecret"]


@dataclass(frozen=True)
class BasicAuthSecret:
    """A username and password read from a secret (``basic_auth.user_secret_arn``).

    Attributes:
        username: The user name (not secret; it appears in logs).
        password: The password, masked in every ``repr``/``str``.
    """

    username: str
    password: Secret
