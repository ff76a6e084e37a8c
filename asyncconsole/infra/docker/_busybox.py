"""A tiny local image made from the host's static busybox, for tests and demos (no registry)."""

from __future__ import annotations

import io
import os
import shutil
import struct
import tarfile
from collections.abc import Sequence
from pathlib import Path

from ..._errors import NotFoundError
from ._protocol import DockerManager

__all__ = ["BUSYBOX_APPLETS", "BUSYBOX_IMAGE", "busybox_rootfs", "ensure_busybox_image"]

BUSYBOX_IMAGE = "asyncconsole-test/busybox:latest"
"""The reference :func:`ensure_busybox_image` makes by default."""

BUSYBOX_APPLETS = (
    "cat", "date", "echo", "env", "false", "grep", "head", "hostname", "id", "kill", "ls",
    "mkdir", "printf", "ps", "pwd", "rm", "seq", "sh", "sleep", "tail", "touch", "true", "wc",
)  # fmt: skip
"""Commands linked to busybox in the image's ``/bin``."""

_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox", "/sbin/busybox")
_PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
_GROUP = b"root:x:0:\nnogroup:x:65534:\n"


def _is_static_elf(path: Path) -> bool:
    """Whether ``path`` is an ELF executable without a dynamic loader (PT_INTERP)."""
    with path.open("rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return False
        is64, little = head[4] == 2, head[5] == 1
        end = "<" if little else ">"
        if is64:
            (phoff,) = struct.unpack(end + "Q", head[32:40])
            phentsize, phnum = struct.unpack(end + "HH", head[54:58])
        else:
            (phoff,) = struct.unpack(end + "I", head[28:32])
            phentsize, phnum = struct.unpack(end + "HH", head[42:46])
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        (p_type,) = struct.unpack(end + "I", table[i * phentsize : i * phentsize + 4])
        if p_type == 3:  # PT_INTERP: needs a libc the image does not have
            return False
    return True


def find_busybox(binary: str | os.PathLike[str] | None = None) -> Path:
    """The static busybox to copy: ``binary``, ``$ASYNCCONSOLE_BUSYBOX``, or a usual place."""
    tried = []
    explicit = binary or os.environ.get("ASYNCCONSOLE_BUSYBOX")
    candidates = [os.fspath(explicit)] if explicit else [*_CANDIDATES, shutil.which("busybox")]
    for candidate in candidates:
        if not candidate or candidate in tried:
            continue
        tried.append(candidate)
        path = Path(candidate)
        if path.is_file() and _is_static_elf(path):
            return path
    raise NotFoundError(
        "no statically linked busybox binary found (tried "
        + ", ".join(tried)
        + "); install one (Debian: apt-get install busybox-static) or pass binary=/path",
        tried=tried,
    )


def busybox_rootfs(
    binary: str | os.PathLike[str] | None = None, *, applets: Sequence[str] = BUSYBOX_APPLETS
) -> bytes:
    """A root filesystem tarball: ``/bin/busybox``, its applet symlinks, ``/tmp``, ``/etc``."""
    source = find_busybox(binary)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory, mode in (("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777), ("root", 0o700)):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        info = tar.gettarinfo(str(source), arcname="bin/busybox")
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode = 0o755
        with source.open("rb") as f:
            tar.addfile(info, f)
        for applet in applets:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname, link.mode = tarfile.SYMTYPE, "busybox", 0o777
            tar.addfile(link)
        for name, content in (("etc/passwd", _PASSWD), ("etc/group", _GROUP)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


async def ensure_busybox_image(
    docker: DockerManager,
    ref: str = BUSYBOX_IMAGE,
    *,
    binary: str | os.PathLike[str] | None = None,
) -> str:
    """Make sure ``ref`` exists locally, importing it from the host's busybox if not; return it.

    The image holds only busybox (about 2 MB; importing takes about 0.1 s) with
    ``CMD ["/bin/sh"]``. Note that busybox commands run as PID 1 ignore SIGTERM: run them
    with ``init=True`` for prompt stops.

    Raises:
        NotFoundError: No static busybox binary on this host.
    """
    if await docker.image_exists(ref):
        return ref
    import anyio

    rootfs = await anyio.to_thread.run_sync(lambda: busybox_rootfs(binary))
    last = ref.rsplit("/", 1)[-1]
    repository, tag = ref.rsplit(":", 1) if ":" in last else (ref, "latest")
    await docker.import_image(rootfs, repository, tag, changes=['CMD ["/bin/sh"]'])
    return ref
