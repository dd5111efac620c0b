"""Race-free folder moves: put a finished folder in place without a check-then-move gap.

Linux's `renameat2` can move a folder only if the target does not exist
(RENAME_NOREPLACE), and swap two folders in one step (RENAME_EXCHANGE), so an existing
output is never missing, even for an instant, and a folder that appeared meanwhile is
never replaced. Elsewhere (or on a filesystem without them) `move_noreplace` falls back
to a check and a rename, and `exchange` reports that it could not swap; callers hold the
output lock (engine/lock.py), which serialises idgraph runs in either case.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from pathlib import Path

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()
# errnos meaning "this kernel or filesystem cannot do that": fall back.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _call(src: Path, dst: Path, flags: int) -> bool:
    """renameat2(src, dst, flags): True when done, False when unsupported; OSError otherwise."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(dst))


def move_noreplace(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Rename `src` to `dst`; FileExistsError if `dst` exists (an empty folder included)."""
    src, dst = Path(src), Path(dst)
    if _call(src, dst, _RENAME_NOREPLACE):
        return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Swap two existing paths in one step; False (nothing done) where that is unsupported."""
    return _call(Path(a), Path(b), _RENAME_EXCHANGE)
