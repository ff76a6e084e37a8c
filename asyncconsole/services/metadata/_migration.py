"""``MetadataMigration``: run the MetadataMigration tool (``migrate`` / ``evaluate``)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..._errors import (
    CommandError,
    ConfigError,
    ConfigIssue,
    MetadataMigrationError,
    NoTargetClusterError,
    ToolNotInstalledError,
)
from ..._observe import observe
from ..._redact import mask_url
from ..._secret import Secret
from ...config import (
    MetadataMigrationConfig,
    MetadataSnapshot,
    S3RepoConfig,
    SnapshotConfig,
)
from ...infra.commands import CommandExecutor, LineSink, OutputMode
from ._args import Arguments, flatten, masked, merge_extra_args
from ._types import MetadataCommand, MetadataResult

if TYPE_CHECKING:
    from ..clusters import Cluster

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_TOOL_PATH", "TEMP_DIR_PLACEHOLDER", "MetadataMigration"]

_log = logging.getLogger("asyncconsole.services.metadata")

DEFAULT_TOOL_PATH = "/root/metadataMigration/bin/MetadataMigration"
"""Where the Migration Assistant's console image installs the tool."""

DEFAULT_TIMEOUT = 3600.0
"""Seconds a run may take (console_link waited without limit)."""

TEMP_DIR_PLACEHOLDER = "<temporary directory>"
"""Shown by :meth:`MetadataMigration.argv` for the download directory made at run time."""

_MAX_FILENAME = 255
_ERROR_TAIL = 2000


def _temp_prefix(snapshot_name: str) -> str:
    # mkdtemp adds ~8 random characters; keep the directory name within 255 bytes.
    room = _MAX_FILENAME - len("migration-") - len("-") - 10
    return f"migration-{snapshot_name[:room]}-"


class MetadataMigration:
    """Runs the MetadataMigration tool against the target cluster, from a snapshot.

    The arguments are exactly console_link's (see :meth:`argv`); the tool's output is
    streamed line by line while it runs (to ``on_line`` or the
    ``asyncconsole.infra.commands.output`` logger) and the run returns a
    :class:`MetadataResult` or raises :class:`~asyncconsole.MetadataMigrationError` carrying
    the output. Fixes over console_link: the S3/GCS download directory is a temporary
    directory made when the tool runs and removed afterwards (console_link made one whenever
    the environment was built and never removed it), runs are bounded by ``timeout``, the
    target password is a :class:`~asyncconsole.Secret` masked in argv, results, errors and
    logs, and a failure raises instead of returning the output as a string. An S3
    repository's ``endpoint`` is passed whenever it is set (console_link only had one for a
    top-level snapshot: its ``from_snapshot.s3`` block could not hold one).

    Args:
        config: The ``metadata_migration`` block.
        target: The target cluster (its config gives the endpoint, auth and TLS setting).
        source: The source cluster, for its ``version`` when the block does not give
            ``source_cluster_version``.
        snapshot: The top-level ``snapshot`` block, used when ``from_snapshot`` is empty.
        executor: Runs the tool.
        tool_path: The MetadataMigration executable (a bare name is looked up on PATH).
        timeout: Seconds a run may take (``None``: no limit).
        environ: Environment for the SigV4 region fallback (``AWS_DEFAULT_REGION``,
            ``AWS_REGION``); ``os.environ`` by default.
        temp_root: Where run-time download directories are made (the system default).

    Raises:
        ConfigError: No snapshot can be found, or no source version (console_link's
            messages), checked here as console_link did at construction.
    """

    def __init__(
        self,
        config: MetadataMigrationConfig,
        *,
        target: Cluster | None,
        source: Cluster | None,
        snapshot: SnapshotConfig | None,
        executor: CommandExecutor,
        tool_path: str = DEFAULT_TOOL_PATH,
        timeout: float | None = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        temp_root: str | None = None,
    ) -> None:
        self.config = config
        self.target = target
        self.source = source
        self.executor = executor
        self.tool_path = tool_path
        self.timeout = timeout
        self.environ = environ
        self.temp_root = temp_root
        self.snapshot: MetadataSnapshot = config.resolved_snapshot(snapshot)
        self.source_version: str = config.resolved_source_version(
            source.config if source is not None else None
        )

    def __repr__(self) -> str:
        return (
            f"MetadataMigration(snapshot={self.snapshot.snapshot_name!r}, "
            f"repo={self.snapshot.repo.kind!r}, tool_path={self.tool_path!r})"
        )

    # -- description -----------------------------------------------------------------------

    def _repo_uri(self) -> str:
        repo = self.snapshot.repo
        if repo.kind == "fs":
            path = repo.repo_path  # type: ignore[union-attr]
            return path if path.startswith("file://") else f"file://{path}"
        return repo.repo_uri  # type: ignore[union-attr]

    def describe(self) -> dict[str, Any]:
        """The settings the tool gets, as plain data (no credentials)."""
        repo = self.snapshot.repo
        data: dict[str, Any] = {
            "tool_path": self.tool_path,
            "snapshot": {
                "snapshot_name": self.snapshot.snapshot_name,
                "repo_type": repo.kind,
                "repo_uri": self._repo_uri(),
                "local_dir": self.snapshot.local_dir,
                "from_top_level_snapshot": self.snapshot.from_top_level,
            },
            "target": None if self.target is None else mask_url(self.target.config.endpoint),
            "target_auth": None if self.target is None else self.target.config.auth_kind,
            "source_version": self.source_version,
            "cluster_awareness_attributes": self.config.cluster_awareness_attributes,
            "index_allowlist": list(self.config.index_allowlist),
            "index_template_allowlist": list(self.config.index_template_allowlist),
            "component_template_allowlist": list(self.config.component_template_allowlist),
            "otel_trace_endpoint": self.config.otel_trace_endpoint,
            "otel_metrics_endpoint": self.config.otel_metrics_endpoint,
            "transformer_config_base64": self.config.transformer_config_base64 is not None,
            "timeout": self.timeout,
        }
        if isinstance(repo, S3RepoConfig):
            data["snapshot"]["aws_region"] = repo.aws_region
        return data

    # -- the command line ------------------------------------------------------------------

    def _target(self) -> Cluster:
        if self.target is None:
            raise NoTargetClusterError()
        return self.target

    async def _target_auth(self, cluster: Cluster) -> Arguments:
        config = cluster.config
        kind = config.auth_kind
        if kind == "basic_auth":
            username, password = await cluster.basic_credentials()
            return {"--target-username": username, "--target-password": password}
        if kind == "sigv4":
            service = config.sigv4.service if config.sigv4 is not None else "es"
            region = config.sigv4.region if config.sigv4 is not None else None
            if not region:
                env = os.environ if self.environ is None else self.environ
                region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")
            if not region:
                raise ConfigError(
                    "Invalid configuration",
                    [
                        ConfigIssue(
                            "target_cluster.sigv4.region",
                            "no region for SigV4: set it here or in AWS_DEFAULT_REGION",
                        )
                    ],
                )
            return {"--target-aws-service-signing-name": service, "--target-aws-region": region}
        return {}

    async def _arguments(
        self, command: MetadataCommand, extra_args: Sequence[str], local_dir: str
    ) -> list[str | Secret]:
        if command not in ("migrate", "evaluate"):
            raise ValueError(f"command must be 'migrate' or 'evaluate', not {command!r}")
        if isinstance(extra_args, str):
            raise TypeError("extra_args must be a sequence of arguments, not one string")
        target = self._target()
        cfg = self.config
        args: Arguments = {}
        if cfg.otel_trace_endpoint:
            args["--otel-trace-collector-endpoint"] = cfg.otel_trace_endpoint
        if cfg.otel_metrics_endpoint:
            args["--otel-metrics-collector-endpoint"] = cfg.otel_metrics_endpoint
        args[command] = None
        args["--snapshot-name"] = self.snapshot.snapshot_name
        args["--target-host"] = target.config.endpoint
        args["--cluster-awareness-attributes"] = str(cfg.cluster_awareness_attributes)

        repo = self.snapshot.repo
        if repo.kind == "fs":
            args["--repo-uri"] = self._repo_uri()
        else:
            args["--local-dir"] = local_dir
            args["--repo-uri"] = self._repo_uri()
            if isinstance(repo, S3RepoConfig):
                args["--s3-region"] = repo.aws_region
            if repo.endpoint:  # type: ignore[union-attr]
                args["--endpoint"] = repo.endpoint  # type: ignore[union-attr]

        args.update(await self._target_auth(target))
        if target.config.allow_insecure:
            args["--target-insecure"] = None
        if cfg.index_allowlist:
            args["--index-allowlist"] = ",".join(cfg.index_allowlist)
        if cfg.index_template_allowlist:
            args["--index-template-allowlist"] = ",".join(cfg.index_template_allowlist)
        if cfg.component_template_allowlist:
            args["--component-template-allowlist"] = ",".join(cfg.component_template_allowlist)
        args["--source-version"] = self.source_version
        if cfg.transformer_config_base64:
            args["--transformer-config-base64"] = cfg.transformer_config_base64
        merge_extra_args(args, extra_args)
        return flatten(self.tool_path, args)

    @property
    def _needs_local_dir(self) -> bool:
        return self.snapshot.repo.kind != "fs"

    async def argv(
        self,
        command: MetadataCommand = "migrate",
        extra_args: Sequence[str] = (),
        *,
        local_dir: str | None = None,
    ) -> tuple[str, ...]:
        """The command line :meth:`migrate`/:meth:`evaluate` would run, password masked.

        Argument order (console_link's): [``--otel-trace-collector-endpoint``]
        [``--otel-metrics-collector-endpoint``] ``<command>`` ``--snapshot-name``
        ``--target-host`` ``--cluster-awareness-attributes``; the repository (S3:
        ``--local-dir --repo-uri --s3-region`` [``--endpoint``]; GCS: ``--local-dir
        --repo-uri`` [``--endpoint``]; file system: ``--repo-uri file://<path>``); the target
        auth (basic: ``--target-username --target-password``; SigV4:
        ``--target-aws-service-signing-name --target-aws-region``); ``--target-insecure``;
        the three allowlists (comma-joined, when not empty); ``--source-version``;
        ``--transformer-config-base64``; then ``extra_args`` merged in (``--key value``
        replaces a present key in place, bare flags are kept, a value with no flag before it
        is dropped with a warning).

        Args:
            command: ``migrate`` or ``evaluate``.
            extra_args: Further arguments for the tool.
            local_dir: The download directory to show for S3/GCS when the config gives none
                (default: :data:`TEMP_DIR_PLACEHOLDER`, as it is made at run time).

        Raises:
            NoTargetClusterError: No target cluster.
        """
        directory = self.snapshot.local_dir or local_dir or TEMP_DIR_PLACEHOLDER
        return masked(await self._arguments(command, extra_args, directory))

    # -- running ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _local_dir(self) -> AsyncIterator[str]:
        if self.snapshot.local_dir or not self._needs_local_dir:
            yield self.snapshot.local_dir or ""
            return
        made = tempfile.mkdtemp(
            prefix=_temp_prefix(self.snapshot.snapshot_name), dir=self.temp_root
        )
        try:
            yield made
        finally:
            # A downloaded snapshot can be large: remove it off the event loop.
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(made, ignore_errors=True))

    async def migrate(
        self, extra_args: Sequence[str] = (), *, on_line: LineSink | None = None
    ) -> MetadataResult:
        """Migrate the snapshot's metadata (templates, index settings and mappings, aliases)
        to the target.

        Args:
            extra_args: Further arguments for the tool (see :meth:`argv`).
            on_line: Receives each output line as it arrives (default: logged at INFO).

        Raises:
            NoTargetClusterError: No target cluster.
            MetadataMigrationError: The tool exited non-zero (carries its output).
            ToolNotInstalledError: The tool is not installed at ``tool_path``.
            CommandTimeoutError: The run took longer than ``timeout``.
        """
        return await self._run("migrate", extra_args, on_line)

    async def evaluate(
        self, extra_args: Sequence[str] = (), *, on_line: LineSink | None = None
    ) -> MetadataResult:
        """Report what :meth:`migrate` would do, changing nothing. Same arguments and errors."""
        return await self._run("evaluate", extra_args, on_line)

    async def _run(
        self, command: MetadataCommand, extra_args: Sequence[str], on_line: LineSink | None
    ) -> MetadataResult:
        self._target()
        async with self._local_dir() as local_dir:
            argv = await self._arguments(command, extra_args, local_dir)
            shown = masked(argv)
            async with observe(_log, f"metadata.{command}", self.tool_path) as info:
                try:
                    result = await self.executor.run(
                        argv,
                        check=False,
                        timeout=self.timeout,
                        output=OutputMode.STREAM,
                        on_line=on_line,
                    )
                except CommandError as exc:
                    if exc.exit_code is None and not isinstance(exc, TimeoutError):
                        raise ToolNotInstalledError(
                            f"MetadataMigration tool not installed: cannot run "
                            f"{self.tool_path!r} ({exc})",
                            tool=self.tool_path,
                            searched=[self.tool_path],
                        ) from exc
                    raise
                info["exit_code"] = result.exit_code
        if result.exit_code != 0:
            tail = (result.stdout.strip() or result.stderr.strip())[-_ERROR_TAIL:]
            raise MetadataMigrationError(
                f"MetadataMigration {command} failed with exit code {result.exit_code}"
                + (f":\n{tail}" if tail else ""),
                command=command,
                argv=shown,
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        return MetadataResult(
            command=command,
            argv=result.argv,
            exit_code=result.exit_code,
            output=result.stdout,
            stderr=result.stderr,
            duration=result.duration,
        )

    async def check(self) -> str:
        """Whether the tool is installed and the target is configured; a one-line summary.

        Raises:
            ToolNotInstalledError: The tool is missing or not executable.
            NoTargetClusterError: No target cluster.
        """
        path = await anyio.to_thread.run_sync(_locate_tool, self.tool_path)
        target = self._target()
        return (
            f"MetadataMigration tool at {path}; snapshot {self.snapshot.snapshot_name} "
            f"({self.snapshot.repo.kind}) -> {mask_url(target.config.endpoint)}"
        )


def _locate_tool(tool_path: str) -> str:
    """The tool's path, checked to be an executable file."""
    path = tool_path if os.sep in tool_path else shutil.which(tool_path)
    if path is None or not os.path.isfile(path):
        raise ToolNotInstalledError(
            f"MetadataMigration tool not installed: {tool_path} does not exist",
            tool=tool_path,
            searched=[tool_path],
        )
    if not os.access(path, os.X_OK):
        raise ToolNotInstalledError(
            f"MetadataMigration tool not installed: {path} is not executable",
            tool=tool_path,
            searched=[path],
        )
    return path
