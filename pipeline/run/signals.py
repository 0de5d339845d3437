"""How a run ends on SIGTERM (a scheduler ending the job) or SIGHUP (its terminal or SSH session
closed): as Ctrl-C ends it, through the same cleanup (temporary files removed, finished shards
kept, the --resume hint). The handler raises `Terminated` where the main thread is; Python
swallows an exception raised inside a finalizer or a weakref callback, so the signal is also
kept, and `raise_pending` raises it again: at each progress update (cleaning, signing, writing),
per record streamed to stdout, and before outputs are merged or switched into place. Ctrl-C's
KeyboardInterrupt is Python's own and is not kept."""

from __future__ import annotations

import signal

# Ended as Ctrl-C ends a command. SIGHUP only where it is not ignored (nohup keeps it ignored).
ENDING_SIGNALS = (signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))

_pending: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled where Ctrl-C is, with exit code 143 or 129."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__()
        self.signum = signum


def on_ending_signal(signum: int, frame: object) -> None:
    """The handler of ENDING_SIGNALS that the CLI installs for the length of a command."""
    _pending.append(signum)
    raise Terminated(signum)


def clear_pending() -> None:
    """A new command begins: no signal is pending."""
    _pending.clear()


def raise_pending() -> None:
    """Raise again an ending signal whose exception was swallowed before it ended the run."""
    if _pending:
        raise Terminated(_pending[0])


def interrupted_code(exc: KeyboardInterrupt) -> int:
    """The shell's code for a command ended by a signal: 128 + SIGTERM's 15 (SIGHUP's 1), or
    + SIGINT's 2."""
    return 128 + (exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
