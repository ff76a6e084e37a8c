"""The snapshot repository: its ``PUT /_snapshot/<repo>`` body for each type, and registering it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...config import FSRepoConfig, GCSRepoConfig, S3RepoConfig, SnapshotConfig
from ..clusters import Cluster
from ..clusters._answers import response_error
from ._answers import acknowledged

__all__ = ["register_repository", "repository_settings"]

# What a cluster answers when the repository is already registered (or in use): not a failure.
_REPO_TAKEN = ("already exists", "currently used", "currently in use")


def _bucket_and_path(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.strip("/")


def repository_settings(
    config: SnapshotConfig, *, max_snapshot_rate_mb_per_node: int | None = None
) -> dict[str, Any]:
    """The ``PUT /_snapshot/<repo>`` body the Java CreateSnapshot tool sends.

    * fs: ``location`` and ``compress: false``;
    * s3: ``bucket``, ``base_path`` (when the URI has a key), ``compress: false``,
      ``max_snapshot_bytes_per_sec`` (``"<N>mb"``, with a rate), ``region``, ``role_arn`` and
      ``endpoint`` when configured;
    * gcs: ``bucket``, ``base_path``, ``compress``, ``max_snapshot_bytes_per_sec`` (the endpoint is
      deliberately not sent).

    Unlike the Java tool, a rate limit is also applied to an fs repository (OpenSearch honours
    it there too) rather than silently dropped.
    """
    rate = (
        f"{max_snapshot_rate_mb_per_node}mb" if max_snapshot_rate_mb_per_node is not None else None
    )
    repo = config.repo
    settings: dict[str, Any]
    if isinstance(repo, FSRepoConfig):
        settings = {"location": repo.repo_path, "compress": False}
        if rate:
            settings["max_snapshot_bytes_per_sec"] = rate
        return {"type": "fs", "settings": settings}
    bucket, base_path = _bucket_and_path(repo.repo_uri)
    settings = {"bucket": bucket}
    if base_path:
        settings["base_path"] = base_path
    settings["compress"] = False
    if rate:
        settings["max_snapshot_bytes_per_sec"] = rate
    if isinstance(repo, S3RepoConfig):
        settings["region"] = repo.aws_region
        if repo.role:
            settings["role_arn"] = repo.role
        if repo.endpoint:
            settings["endpoint"] = repo.endpoint
        return {"type": "s3", "settings": settings}
    assert isinstance(repo, GCSRepoConfig)
    return {"type": "gcs", "settings": settings}


async def register_repository(
    cluster: Cluster,
    path: str,
    config: SnapshotConfig,
    *,
    max_snapshot_rate_mb_per_node: int | None = None,
) -> None:
    """``PUT`` :func:`repository_settings` at ``path`` (``/_snapshot/<repo>``); an existing
    repository is fine.

    Raises:
        HttpError: The cluster refused.
    """
    body = repository_settings(config, max_snapshot_rate_mb_per_node=max_snapshot_rate_mb_per_node)
    # Registering the same settings again is harmless: safe to retry.
    response = await cluster.call_api(path, "PUT", json=body, raise_error=False, retry=True)
    if response.ok:
        acknowledged(response, "repository registration answer")
        return
    if any(m in response.text for m in _REPO_TAKEN):
        return
    raise response_error(response)
