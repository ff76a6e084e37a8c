"""Metadata migration: run the MetadataMigration tool (``console metadata migrate|evaluate``).

``MetadataMigration(config, target=..., source=..., snapshot=..., executor=...)`` builds
console_link's exact command line and runs it through a
:class:`~asyncconsole.infra.commands.CommandExecutor`, streaming the tool's output::

    result = await env.metadata.evaluate(on_line=lambda line: print(line.text))
    result = await env.metadata.migrate(["--index-allowlist", "logs-*"])
    print(await env.metadata.argv("migrate"))     # the command line, password masked
"""

from ._args import SENSITIVE_FLAGS, merge_extra_args
from ._migration import DEFAULT_TIMEOUT, DEFAULT_TOOL_PATH, TEMP_DIR_PLACEHOLDER, MetadataMigration
from ._types import MetadataResult

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOOL_PATH",
    "SENSITIVE_FLAGS",
    "TEMP_DIR_PLACEHOLDER",
    "MetadataMigration",
    "MetadataResult",
    "merge_extra_args",
]
