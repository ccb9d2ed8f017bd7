"""`make run` to the first good curl: `lattice up --app actors-examples/app.yaml` on a fresh NATS and free ports.

Measures, over ``--runs`` runs, the seconds from starting `lattice up` to (a) the first HTTP 200 from the echo
actor and (b) the summary line. The baseline, in the same run: `lattice up` without an app, to its summary (the
process, NATS and host start-up every run pays). Prints both and the ratio first-curl / baseline.

Run: ``.venv/bin/python bench/up_first_curl.py [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.ports picks the ports

from tests.support.ports import free_port  # noqa: E402

APP = REPO / "actors-examples" / "app.yaml"
PORT_VARS = ("ECHO_PORT", "KVCOUNTER_PORT", "PINGER_PORT", "LOGGER_PORT")
LIMIT_S = 60.0
POLL_S = 0.02


def serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def one_run(with_app: bool) -> tuple[float, float]:
    """(seconds to the first good curl — or nan without an app —, seconds to the summary)."""
    ports = {name: str(free_port()) for name in PORT_VARS}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **ports, "WASMLATTICE_STATE_DIR": f"{tmp}/state", "WASMLATTICE_KEYS_DIR": f"{tmp}/keys"}
        argv = [sys.executable, "-m", "lattice.cli.main", "up", "--nats-url", f"nats://127.0.0.1:{free_port()}"]
        argv += ["--lattice", "b" + secrets.token_hex(4)] + (["--app", str(APP)] if with_app else [])
        out = Path(tmp) / "out"
        began = time.monotonic()
        with out.open("wb") as sink:
            proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            curl = float("nan")
            url = f"http://127.0.0.1:{ports['ECHO_PORT']}/hello"
            while with_app and not serves(url):
                if time.monotonic() - began > LIMIT_S or proc.poll() is not None:
                    raise SystemExit(f"no good curl:\n{out.read_text()[-2000:]}")
                time.sleep(POLL_S)
            if with_app:
                curl = time.monotonic() - began
            while "stops everything" not in out.read_text():
                if time.monotonic() - began > LIMIT_S or proc.poll() is not None:
                    raise SystemExit(f"no summary:\n{out.read_text()[-2000:]}")
                time.sleep(POLL_S)
            return curl, time.monotonic() - began
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bare = [one_run(False)[1] for _ in range(args.runs)]
    full = [one_run(True) for _ in range(args.runs)]
    base = statistics.median(bare)
    curl = statistics.median(c for c, _ in full)
    summary = statistics.median(s for _, s in full)
    print(f"lattice up, no app, to its summary (baseline): {base:.2f} s (median of {args.runs})")
    print(f"lattice up --app, to the first good curl:      {curl:.2f} s  ({curl / base:.2f}x the baseline)")
    print(f"lattice up --app, to its summary:              {summary:.2f} s  ({summary / base:.2f}x the baseline)")


if __name__ == "__main__":
    main()
