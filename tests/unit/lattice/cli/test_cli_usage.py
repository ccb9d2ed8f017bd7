"""Usage errors name the command they belong to, exit 2, and come before any connection."""

from __future__ import annotations

import asyncio

import pytest

from lattice.cli import output
from lattice.cli.main import main, parse
from lattice.natsconn import NatsConnectError, NatsOptions, connect
from tests.support.ports import free_port

LONG_TIMEOUT_S = 60.0
BOUND_S = 10.0


def refused_url() -> str:
    return f"nats://127.0.0.1:{free_port()}"  # nobody listens there


def test_an_unknown_top_level_flag_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--bogus"])
    assert exc.value.code == output.EXIT_USAGE
    err = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in err
    assert "required" not in err


def test_an_unknown_flag_gets_its_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ctl", "get", "hosts", "--bogus"])
    assert exc.value.code == output.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage: lattice ctl get hosts")
    assert "lattice ctl get hosts: error: unrecognized arguments: --bogus" in err


def test_verbose_goes_before_or_after_the_command() -> None:
    assert parse(["-v", "ctl", "get", "hosts"]).verbose is True
    assert parse(["ctl", "get", "hosts", "-v"]).verbose is True
    assert parse(["ctl", "-v", "get", "hosts"]).verbose is True
    assert getattr(parse(["ctl", "get", "hosts"]), "verbose", False) is False


def test_no_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == output.EXIT_USAGE
    assert "a COMMAND is required" in capsys.readouterr().err


def test_a_bad_cluster_seed_is_a_usage_error_found_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["call", "echo", "Echo.Say", "--cluster-seed", "SCnotaseed", "--nats-url", refused_url()])
    assert code == output.EXIT_USAGE
    assert "--cluster-seed" in capsys.readouterr().err


async def test_a_refused_connection_is_reported_without_waiting_for_the_timeout() -> None:
    opts = NatsOptions(url=refused_url(), connect_timeout_s=LONG_TIMEOUT_S, max_reconnect_attempts=0)
    async with asyncio.timeout(BOUND_S):  # far below the connect timeout: the refusal ends the attempt
        with pytest.raises(NatsConnectError, match="could not reach NATS"):
            await connect(opts)
