"""Host-call handlers for the runtime tests: one that records and answers, one that blocks until released."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from host.runtime import HostCallFailed

WAIT_S = 10
"""How long a test waits for a call, a thread or a release before failing."""


@dataclass
class Recorder:
    """A host-call handler answering ``b"pong:" + payload``; an empty binding fails with HostCallFailed."""

    calls: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        self.calls.append((binding, namespace, operation, payload))
        self.threads.append(threading.current_thread())
        if not binding:
            raise HostCallFailed("no link for an empty binding")
        return b"pong:" + payload

    def log(self, line: str) -> None:
        self.lines.append(line)


class Blocker:
    """A host-call handler that holds every call until released, counting how many are inside."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.inside = 0
        self.peak = 0

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        with self.lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            if not self.release.wait(WAIT_S):
                raise TimeoutError("test blocker never released")
            return b"v1:" + payload
        finally:
            with self.lock:
                self.inside -= 1
