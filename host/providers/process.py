"""One provider OS process: spawned in its own session with HostData on stdin (then stdin is closed, as the Rust
host does), its stdout/stderr logged line by line as ``[provider {key} {link}] …`` with a tail kept for error
messages, and killed as a process group. The tasks that read its output run in the supervisor's task scope."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from host.config import ENV_VARS
from host.providers.errors import ProviderStartFailed
from lattice.wire import HostData

DEFAULT_TAIL_LINES = 20
MAX_LINE = 64 * 1024
HOST_DATA_ENV = "WASMCLOUD_HOST_DATA"

log = logging.getLogger("host.providers.output")

Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]
"""Starts a named background task (:meth:`host.tasks.TaskScope.spawn`)."""


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return "exited normally" if code == 0 else f"exited with code {code}"


HOST_SECRET_ENV = frozenset(var.name for var in ENV_VARS if var.secret or var.name.endswith("_CREDSFILE"))
"""The host's own seeds, JWTs and creds files: a provider gets what it needs (and no more) through HostData."""


def child_env(base: Mapping[str, str]) -> dict[str, str]:
    """The host's environment without the HostData override and without the host's secrets."""
    return {k: v for k, v in base.items() if k != HOST_DATA_ENV and k not in HOST_SECRET_ENV}


class ProviderProcess:
    def __init__(
        self, proc: asyncio.subprocess.Process, prefix: str, spawn: Spawn, tail_lines: int = DEFAULT_TAIL_LINES
    ) -> None:
        self.proc = proc
        self.prefix = prefix
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self.started_at = asyncio.get_running_loop().time()
        streams = [stream for stream in (proc.stdout, proc.stderr) if stream is not None]
        self._pumps = [spawn(self._pump(stream), f"output of {prefix}") for stream in streams]

    @classmethod
    async def spawn(cls, argv: Sequence[str], host_data: HostData, prefix: str, spawn: Spawn) -> ProviderProcess:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=child_env(os.environ),
                start_new_session=True,
                limit=MAX_LINE,
            )
        except OSError as exc:
            raise ProviderStartFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
        process = cls(proc, prefix, spawn)
        assert proc.stdin is not None
        try:
            proc.stdin.write(host_data.encode_line())
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died at once; wait() and the tail tell why
        finally:
            proc.stdin.close()
        return process

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line longer than MAX_LINE
                line = (await stream.read(MAX_LINE)) + b"\n"
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()
            self.tail.append(text)
            log.info("%s %s", self.prefix, text)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    @property
    def uptime(self) -> float:
        return asyncio.get_running_loop().time() - self.started_at

    async def wait(self) -> int:
        code = await self.proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._pumps, return_exceptions=True), 1.0)
        return code

    async def kill(self) -> None:
        """SIGKILL the process group, then reap."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        await self.wait()

    def tail_text(self) -> str:
        return "\n".join(self.tail) if self.tail else "(no output)"
