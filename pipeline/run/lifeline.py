"""Worker processes end with the process that started them: a run killed by SIGKILL, or ended
by SIGTERM, leaves no cleaning worker blocked behind it for good. Called in each worker of the
process pool (run/pool.py) as it starts."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

# From <linux/prctl.h>: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
# How often a worker checks that its parent is alive where the kernel cannot tell it.
PARENT_CHECK_S = 1.0


def die_with_parent(parent: int) -> None:
    """End this process when `parent` (the pid that started it) ends: on Linux the kernel
    sends SIGKILL (prctl PR_SET_PDEATHSIG); everywhere, a daemon thread checks every
    PARENT_CHECK_S that the process is still the parent's child (an orphan is adopted by
    another process, so its parent pid changes)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # the thread below still watches
    adopted_by = os.getppid()
    if adopted_by != parent and not _alive(parent):
        os._exit(1)  # the parent died before the kernel was told
    threading.Thread(target=_watch, args=(adopted_by,), name="storysift-lifeline", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether `pid` runs: a process that ended but was not yet reaped (a zombie) does not."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass  # no /proc: ask the kernel, which counts a zombie as alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(1)
