"""The local image calls of a Docker manager: check, import, build, remove (nothing is pulled)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .._core import check_timeout
from ._spec import check_repository
from ._steps import BUILD, IMAGE, IMPORT, REMOVE_IMAGE, DockerSteps, ImageImport

__all__ = ["ImageCalls"]


class ImageCalls(DockerSteps):
    """The image calls of :class:`DockerManager`, on the steps of :class:`DockerSteps`.

    Imports and builds take as long as they take unless given a ``timeout``; they are not
    repeated (a second import would make a second image), nor reconciled (an older image may
    carry the same tag). A removal whose answer was lost is: the image being gone says it
    happened.
    """

    async def image_exists(self, ref: str) -> bool:
        await self._begin("image_exists", ref=ref)
        return await self._core.call(
            IMAGE, f"inspect image {ref}", lambda left: self._image_exists(ref, left)
        )

    async def _image_id_of(self, ref: str) -> str:
        return await self._step(
            IMAGE, f"inspect image {ref}", lambda left: self._image_id(ref, left)
        )

    async def import_image(
        self,
        rootfs: bytes | os.PathLike[str] | str,
        repository: str,
        tag: str = "latest",
        *,
        changes: Sequence[str] = (),
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        check_repository(repository)
        limit = check_timeout("timeout", timeout)
        await self._begin("import_image", repository=repository, tag=tag, changes=tuple(changes))
        data = rootfs if isinstance(rootfs, bytes) else await _read_file(rootfs)
        request = ImageImport(data, repository, tag, tuple(changes))
        ref = f"{repository}:{tag}"

        async def attempt(left: float | None) -> str:
            await self._import(request, left)
            return await self._image_id_of(ref)

        return await self._core.call(
            IMPORT, f"import image {ref}", attempt, timeout=limit, size=len(data)
        )

    async def build_image(
        self,
        context: bytes,
        tag: str,
        *,
        dockerfile: str = "Dockerfile",
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        limit = check_timeout("timeout", timeout)
        await self._begin("build_image", tag=tag, dockerfile=dockerfile)

        async def attempt(left: float | None) -> str:
            await self._build(context, tag, dockerfile, left)
            return await self._image_id_of(tag)

        return await self._core.call(
            BUILD, f"build image {tag}", attempt, timeout=limit, size=len(context)
        )

    async def remove_image(self, ref: str, *, force: bool = False) -> None:
        await self._begin("remove_image", ref=ref, force=force)

        async def done() -> bool:
            return not await self._step(
                IMAGE, f"inspect image {ref}", lambda left: self._image_exists(ref, left)
            )

        await self._change(
            REMOVE_IMAGE,
            f"remove image {ref}",
            lambda left: self._remove_image(ref, force, left),
            done,
            force=force,
        )


async def _read_file(path: os.PathLike[str] | str) -> bytes:
    import anyio

    return await anyio.Path(os.fspath(path)).read_bytes()
