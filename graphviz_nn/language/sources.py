"""Text files a user names (``--file``, ``--spec``): bounded reading.

:func:`read_text` refuses what is not a regular file (a FIFO would block, a device like
``/dev/zero`` never ends), stops at a size limit while reading, accepts a UTF-8 byte-order mark
and names the byte that is not UTF-8.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import LimitError, ValueInputError

__all__ = ["MAX_FILE_BYTES", "read_text", "decode"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file ``--file`` and ``--spec`` read (64 MiB; an expression is at most 2,000,000
characters, a spec's ``[values]`` at most 10,000,000 entries of one value)."""

_CHUNK = 1 << 20


def read_text(path: str | Path, limit: int | None = None) -> str:
    """The text of a regular file of at most ``limit`` bytes (default :data:`MAX_FILE_BYTES`)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    name = str(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueInputError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ValueInputError(f"cannot read {name}: it is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise ValueInputError(f"cannot read {name}: not a regular file (a pipe or a device); "
                                  "save the text to a file first")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise LimitError(f"{name} is larger than {limit:,} bytes, the limit for a file read")
            chunks.append(chunk)
    except OSError as exc:
        raise ValueInputError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return decode(b"".join(chunks), name)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); a bad byte is named with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValueInputError(f"{name} is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, "
                              f"byte {column}; save it as UTF-8") from None
