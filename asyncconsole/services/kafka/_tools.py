"""Finding the Kafka CLI scripts and the MSK IAM client properties, as console_link does."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CONTAINER_TOOLS_HOME",
    "MSK_IAM_AUTH_PROPERTIES",
    "KafkaToolLocator",
]

CONTAINER_TOOLS_HOME = "/root/kafka-tools"
"""Where the Migration Assistant's console image installs the Kafka tools."""

MSK_IAM_AUTH_PROPERTIES = "msk-iam-auth.properties"
"""The client properties file for Amazon MSK IAM auth."""


@dataclass
class KafkaToolLocator:
    """Looks for Kafka scripts in ``tools_home`` (when given), then on ``PATH``, then under
    ``$KAFKA_TOOLS_HOME``, ``$KAFKA_HOME`` and ``/root/kafka-tools``, trying ``<home>/``,
    ``<home>/bin/`` and ``<home>/kafka/bin/`` in each; the MSK properties file in
    ``<home>/`` and ``<home>/aws/``. Found paths are remembered.

    Args:
        tools_home: A directory to search first (``Kafka(tools_home=...)``).
        environ: Where ``PATH``, ``KAFKA_TOOLS_HOME`` and ``KAFKA_HOME`` are read
            (``os.environ`` by default).
        default_home: The last directory searched.
    """

    tools_home: str | None = None
    environ: Mapping[str, str] | None = None
    default_home: str = CONTAINER_TOOLS_HOME
    _found: dict[str, str] = field(default_factory=dict, repr=False)

    def _env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ

    def homes(self) -> list[str]:
        """The directories searched, in order (``PATH`` is searched after ``tools_home``)."""
        env = self._env()
        found = [self.tools_home] if self.tools_home else []
        found += [env[name] for name in ("KAFKA_TOOLS_HOME", "KAFKA_HOME") if env.get(name)]
        found.append(self.default_home)
        return list(dict.fromkeys(found))

    def candidates(self, script: str) -> list[str]:
        """Every path tried for ``script`` (the ``PATH`` lookup shown as ``$PATH``)."""
        tried: list[str] = []
        for index, home in enumerate(self.homes()):
            if index == (1 if self.tools_home else 0):
                tried.append(f"$PATH/{script}")
            tried += [
                os.path.join(home, script),
                os.path.join(home, "bin", script),
                os.path.join(home, "kafka", "bin", script),
            ]
        return tried

    def find(self, script: str) -> str | None:
        """The path of ``script``, or ``None`` when it is nowhere to be found."""
        cached = self._found.get(script)
        if cached is not None:
            return cached
        path_env = self._env().get("PATH", "")
        for candidate in self.candidates(script):
            if candidate.startswith("$PATH/"):
                found = shutil.which(script, path=path_env) if path_env else None
            else:
                found = candidate if os.path.isfile(candidate) else None
            if found:
                self._found[script] = found
                return found
        return None

    def msk_properties_candidates(self) -> list[str]:
        """Every path tried for ``msk-iam-auth.properties``."""
        tried: list[str] = []
        for home in self.homes():
            tried += [
                os.path.join(home, MSK_IAM_AUTH_PROPERTIES),
                os.path.join(home, "aws", MSK_IAM_AUTH_PROPERTIES),
            ]
        return tried

    def find_msk_properties(self) -> str | None:
        """The path of ``msk-iam-auth.properties``, or ``None``."""
        cached = self._found.get(MSK_IAM_AUTH_PROPERTIES)
        if cached is not None:
            return cached
        for candidate in self.msk_properties_candidates():
            if os.path.isfile(candidate):
                self._found[MSK_IAM_AUTH_PROPERTIES] = candidate
                return candidate
        return None
