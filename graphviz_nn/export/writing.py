"""Files the CLI writes: all or nothing.

:func:`write_files` puts every file next to its target under a temporary name and renames them
into place only when all were written: a full disk or a file-size limit leaves the earlier
files as they were. Special files (``/dev/null``, ``/dev/stdout``) are written in place, since
a rename would replace the device. :func:`write_folder` does the same for a folder of numbered
frames and removes the frames of an earlier, longer run.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import ValueInputError

__all__ = ["write_files", "write_bytes", "write_folder"]


def _is_special(path: Path) -> bool:
    """True for an existing path that is not a regular file (a device, a FIFO)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fail(path: Path, exc: OSError) -> ValueInputError:
    return ValueInputError(f"cannot write {path}: {exc.strerror or exc}")


def _write_temp(target: Path, data: bytes) -> Path:
    """``data`` in a new file beside ``target``; removed again when writing fails."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if target.exists():  # keep the permissions of the file being replaced
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        else:
            os.chmod(temp, 0o666 & ~_umask())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def write_files(files: Mapping[str | Path, bytes]) -> list[Path]:
    """Write every file or none: each goes to a temporary file in its folder first, and all are
    renamed into place once every one is complete. Raises ValueInputError naming the file."""
    staged: list[tuple[Path, Path]] = []
    direct: list[tuple[Path, bytes]] = []
    current = Path()
    try:
        for name, data in files.items():
            current = Path(name)
            if current.is_dir():
                raise ValueInputError(f"cannot write {current}: it is a folder")
            if _is_special(current):
                direct.append((current, data))
            else:  # a link is kept: the file it points to is replaced
                final = Path(os.path.realpath(current)) if current.is_symlink() else current
                staged.append((_write_temp(final, data), final))
        for current, data in direct:
            with open(current, "wb") as fh:
                fh.write(data)
        for temp, current in staged:
            os.replace(temp, current)
    except OSError as exc:
        raise _fail(current, exc) from None
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [Path(name) for name in files]


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write one file all or nothing (see :func:`write_files`)."""
    return write_files({path: data})[0]


def write_folder(folder: str | Path, files: Iterable[tuple[str, bytes]], stale: str) -> list[Path]:
    """Fill ``folder`` with ``files`` (name, bytes) all or nothing, then delete the files whose
    names match the regular expression ``stale`` and were not written now (an earlier run's
    frames). Other files in the folder are left alone."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ValueInputError(f"cannot write {target}: it is a file, not a folder")
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise _fail(target, exc) from None
    names: list[str] = []
    try:
        for name, data in files:
            (work / name).write_bytes(data)
            names.append(name)
        if not target.exists():
            os.chmod(work, 0o777 & ~_umask())
            os.rename(work, target)
        else:
            for name in names:
                os.replace(work / name, target / name)
            pattern = re.compile(stale)
            for old in target.iterdir():
                if pattern.fullmatch(old.name) and old.name not in names:
                    old.unlink()
    except OSError as exc:
        raise _fail(target, exc) from None
    finally:
        if work.exists():
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()
    return [target / name for name in names]
