"""WASI for actors that import it: stdout and stderr go to the guest log, nothing else.

The store gets a ``WasiConfig`` with no arguments, no environment, no preopened directories (so no
files) and no sockets; clocks and random numbers work. wasmtime implements preview 1 on it; snapshot 0
(``wasi_unstable``) is bound to that same implementation by :mod:`host.runtime.wasi_unstable`.
Output arrives in arbitrary chunks (and possibly on a wasmtime-owned thread), so it is cut into lines
here; a partial line is flushed at the end of every guest call and any line longer than
:data:`MAX_LINE_BYTES` is cut. During a call inline on the event loop the lines are held, and written out only if
the call is not moved to a worker thread (:mod:`host.runtime.inline`).
"""

from __future__ import annotations

import threading

import wasmtime

from host.runtime.abi import Log, emit

MAX_LINE_BYTES = 16 * 1024


class LineSink:
    """Turns a byte stream into log lines (UTF-8, invalid bytes replaced). Never raises."""

    def __init__(self, log: Log, prefix: str = "") -> None:
        self._log = log
        self._prefix = prefix
        self._pending = bytearray()
        self._lock = threading.Lock()
        self.held: list[str] | None = None

    def write(self, data: bytes) -> int:
        with self._lock:
            self._pending += data
            lines = self._pending.split(b"\n")
            self._pending = lines.pop()
            while len(self._pending) > MAX_LINE_BYTES:
                lines.append(self._pending[:MAX_LINE_BYTES])
                del self._pending[:MAX_LINE_BYTES]
        self._emit(lines)
        return len(data)

    def flush(self) -> None:
        with self._lock:
            lines, self._pending = [self._pending], bytearray()
        if lines[0]:
            self._emit(lines)

    def discard(self) -> None:
        """Forget the partial line."""
        with self._lock:
            self._pending = bytearray()

    def _emit(self, lines: list[bytearray]) -> None:
        for line in lines:
            text = self._prefix + line.decode("utf-8", "replace").rstrip("\r")
            if self.held is not None:
                self.held.append(text)
            else:
                emit(self._log, text)

    def release(self, write: bool) -> None:
        """Stop holding lines; write the held ones out, or drop them."""
        held, self.held = self.held, None
        if write:
            for text in held or ():
                emit(self._log, text)


class WasiOutput:
    """The stdout and stderr sinks of one instance."""

    def __init__(self, log: Log) -> None:
        self.stdout = LineSink(log)
        self.stderr = LineSink(log, prefix="stderr: ")

    def attach(self, store: wasmtime.Store) -> None:
        """Give ``store`` a locked-down WASI context whose output goes to these sinks."""
        config = wasmtime.WasiConfig()
        config.stdout_custom = self.stdout.write
        config.stderr_custom = self.stderr.write
        store.set_wasi(config)

    def flush(self) -> None:
        self.stdout.flush()
        self.stderr.flush()

    def hold(self) -> None:
        """Hold lines from now on (an inline call) until :meth:`release`."""
        self.stdout.held, self.stderr.held = [], []

    def release(self, write: bool) -> None:
        """Write out (after flushing the partial lines) or drop what was held since :meth:`hold`."""
        for sink in (self.stdout, self.stderr):
            if write:
                sink.flush()
            else:
                sink.discard()
            sink.release(write)
