"""The SASL/SCRAM client properties file: written privately when a command runs, then deleted."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from ..._secret import Secret

__all__ = ["scram_properties", "scram_properties_file"]

LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def _jaas_quote(value: str) -> str:
    # JAAS options are double-quoted strings with backslash escapes.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _properties_value(value: str) -> str:
    # java.util.Properties treats a backslash as an escape; line breaks would end the value.
    if "\n" in value or "\r" in value:
        raise ValueError("SCRAM username and password must not contain line breaks")
    return value.replace("\\", "\\\\")


def scram_properties(username: str, password: Secret, ca_cert_path: str | None = None) -> str:
    """The client properties for SASL_SSL with SCRAM-SHA-512 (and a PEM truststore when a CA
    certificate is given). Contains the password: never log it."""
    jaas = (
        f"{LOGIN_MODULE} required username={_jaas_quote(username)} "
        f"password={_jaas_quote(password.get())};"
    )
    lines = [
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        f"sasl.jaas.config={_properties_value(jaas)}",
    ]
    if ca_cert_path:
        lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={ca_cert_path}"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def scram_properties_file(content: str, *, directory: str | None = None) -> Iterator[str]:
    """A private (mode 0600) ``kafka-scram-*.properties`` file holding ``content``, deleted on
    exit however the block ends. Small enough to write on the event loop, which keeps the
    create/delete pair uninterruptible by cancellation."""
    fd, path = tempfile.mkstemp(prefix="kafka-scram-", suffix=".properties", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(content)
        yield path
    finally:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
