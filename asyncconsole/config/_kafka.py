"""``kafka``: the brokers and how to authenticate (``msk``, ``standard`` or ``scram``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar, Literal

from .._errors import ConfigError, ConfigIssue
from .._secret import Secret
from ._base import ConfigModel, SecretField

__all__ = ["EmptyBlock", "KafkaAuthKind", "KafkaConfig", "ScramConfig"]

KafkaAuthKind = Literal["msk", "standard", "scram"]
_KAFKA_KEYS: tuple[KafkaAuthKind, ...] = ("msk", "standard", "scram")


class EmptyBlock(ConfigModel):
    """A marker block with no keys (``msk:`` and ``standard:`` are written empty)."""


class ScramConfig(ConfigModel):
    """SASL/SCRAM-SHA-512 over TLS.

    The password is ``password``, else the environment variable named by ``password_env``;
    it is looked up when Kafka is used (:meth:`resolve_password`), not when the file loads,
    so a config with Kafka still loads for the other components.
    """

    username: str
    """SCRAM user."""
    password: SecretField | None = None
    """SCRAM password (never shown); else read from ``password_env``."""
    password_env: str = "KAFKA_SCRAM_PASSWORD"
    """Environment variable holding the password when ``password`` is not given."""
    ca_cert_path: str | None = None
    """PEM file of the CA that signed the brokers' certificates."""

    def resolve_password(self, environ: Mapping[str, str] | None = None) -> Secret:
        """The password: inline, else from the ``password_env`` environment variable.

        Args:
            environ: Where to look instead of ``os.environ`` (for tests).

        Raises:
            ConfigError: Neither is set (console_link's message).
        """
        if self.password is not None:
            return self.password
        value = (os.environ if environ is None else environ).get(self.password_env)
        if value is None:
            raise ConfigError(
                "Invalid configuration",
                [
                    ConfigIssue(
                        "kafka.scram.password",
                        f"SCRAM password not found. Set '{self.password_env}' environment "
                        "variable or provide 'password' in the scram config.",
                    )
                ],
            )
        return Secret(value)


class KafkaConfig(ConfigModel):
    """The Kafka cluster that holds captured traffic; exactly one of ``msk``, ``standard``,
    ``scram``."""

    exactly_one_of: ClassVar[tuple[tuple[str, ...], ...]] = (_KAFKA_KEYS,)

    broker_endpoints: str
    """Comma-separated ``host:port`` list."""
    msk: EmptyBlock | None = None
    """Amazon MSK with IAM auth."""
    standard: EmptyBlock | None = None
    """Plaintext, no auth."""
    scram: ScramConfig | None = None
    """SASL/SCRAM over TLS."""

    @property
    def auth_kind(self) -> KafkaAuthKind:
        """``msk``, ``standard`` or ``scram``."""
        for key in _KAFKA_KEYS:
            if key in self.model_fields_set:
                return key
        raise ConfigError("kafka has no auth key (msk, standard or scram)")

    @property
    def brokers(self) -> list[str]:
        """``broker_endpoints`` split on commas, blanks dropped."""
        return [b.strip() for b in self.broker_endpoints.split(",") if b.strip()]
