"""One run per output folder: an exclusive lock file beside the output.

A directory run holds an `flock` on `.<name>.lock` in the output's parent from its
existence check until its finished folder is in place (or its staging is removed). A
second run aimed at the same folder is refused at once with `OutputLockedError`, which
names the holder (pid, host, start time, written into the file). The kernel drops an
flock when its process dies, so a crashed or killed run never blocks the next one: the
next run takes the lock and reports the dead holder it replaced (`recovered`).

The lock file is removed on release. Because another process may have opened it just
before, a taker checks after locking that the path still names the file it locked, and
retries if not: two runs can never both believe they hold the lock.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

from .errors import OutputLockedError


def lock_path(out: Path) -> Path:
    """The lock file of output folder `out`: `.<name>.lock` beside it."""
    return out.parent / f".{out.name}.lock"


class OutputLock:
    """An exclusive, non-blocking lock on one output folder (see the module docstring)."""

    def __init__(self, out: str | os.PathLike) -> None:
        self.out = Path(out)
        self.path = lock_path(self.out)
        self._fd: int | None = None
        # The holder a crashed run left in the lock file, when this lock replaced it.
        self.recovered: dict[str, Any] | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "OutputLock":
        """Take the lock or raise OutputLockedError naming the live holder."""
        if self._fd is not None:
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise OutputLockedError("out", str(self.out), f"a folder no other run is writing (locked by {describe_holder(holder)}; lock file {self.path})") from None
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the previous holder removed this file after we opened it: retry
        previous = _read_holder(fd)
        self.recovered = previous or None
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (a no-op when not held)."""
        if self._fd is None:
            return
        try:
            if _same_file(self._fd, self.path):
                os.unlink(self.path)
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def describe_holder(holder: dict[str, Any] | None) -> str:
    """`pid 123 on host since 2026-...`, or a neutral phrase when the file says nothing yet."""
    if not holder:
        return "another run that is just starting"
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('started_at', '?')}"


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)
