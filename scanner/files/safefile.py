"""Reading a file named by untrusted input: a regular file only, its size bounded before a byte is read.

``Path.read_bytes`` on a FIFO waits for a writer forever, and on a character device (``/dev/zero``) reads until
memory runs out; both were found in scanned folders and hash-list imports (issue 23). Here the path is checked
with ``stat`` (which never blocks), opened non-blocking (in case it was swapped for a FIFO since), checked again
on the open descriptor, and read with a bound.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(ValueError):
    """The file cannot be read safely; the message says why."""


def kind_of(mode: int) -> str:
    """What a file of this mode is, for a message ("a FIFO"); "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def read_bounded(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``; else ``UnreadableFile``."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"is {info.st_size} bytes, over the {max_bytes}-byte limit")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        if isinstance(error, UnreadableFile):
            raise
        raise UnreadableFile(f"cannot be read: {getattr(error, 'strerror', None) or error}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"is {kind_of(mode)}, not a regular file")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise UnreadableFile(f"cannot be read: {error.strerror}") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise UnreadableFile(f"is over the {max_bytes}-byte limit")
    return b"".join(chunks)
