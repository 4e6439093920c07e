"""File hashing and copying for artifacts and dataset digests."""

import hashlib
import os
import shutil
import stat
from typing import Callable, List, Optional, Tuple

CHUNK = 1 << 20


def sha256_file(path: str) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_with_digest(source: str, target: str) -> Tuple[int, str]:
    """Copies ``source`` to ``target`` (replacing it) reading once; returns (size, hex SHA-256)."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    try:
        shutil.copymode(source, target)
    except OSError:
        pass  # the content is what matters
    return size, digest.hexdigest()


def list_files(root: str, prune: Optional[Callable[[str], bool]] = None) -> List[Tuple[str, str]]:
    """The regular files under ``root`` as (path, relative POSIX path), sorted by relative path.

    Symbolic links to files are followed, links to folders are not; sockets, pipes and broken
    links are skipped. ``prune(folder)`` returning True skips a folder and everything inside.
    """
    found = []
    for folder, subfolders, names in os.walk(root):
        if prune is not None:
            subfolders[:] = [name for name in subfolders if not prune(os.path.join(folder, name))]
        for name in names:
            path = os.path.join(folder, name)
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
            except OSError:
                continue
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            found.append((path, relative))
    found.sort(key=lambda pair: pair[1])
    return found


def folder_digest(root: str) -> str:
    """A dataset folder's digest: SHA-256 over its files in order of relative path.

    Each file contributes ``<relative POSIX path>\\0<hex SHA-256 of its bytes>\\n`` (the path in
    UTF-8), so renaming, adding, removing or changing any file changes the digest.
    """
    digest = hashlib.sha256()
    for path, relative in list_files(root):
        digest.update(relative.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(sha256_file(path).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()
