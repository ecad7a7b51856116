"""``sifa run``'s supervision: a child that exits stops the rest, except a partner simulator (an
outside system's stand-in), which is reported while the rest run on."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from sifa.conf.management.commands.run import Child, supervise

SLEEP = [sys.executable, "-c", "import time; time.sleep(30)"]
EXIT_3 = [sys.executable, "-c", "import sys; sys.exit(3)"]


def _stop_later(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


def test_an_essential_child_that_exits_stops_the_others():
    started = time.monotonic()
    children = [Child("web", SLEEP), Child("worker", EXIT_3)]
    assert supervise(children, poll_seconds=0.05) == 1
    assert children[0].process.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 20


def test_a_partner_simulator_that_exits_leaves_the_rest_running(capsys):
    children = [Child("web", SLEEP), Child("partner-sim-police", [*EXIT_3, "-m", "sifa"], optional=True)]
    timer = _stop_later(1.5)
    try:
        status = supervise(children, poll_seconds=0.05)
    finally:
        timer.cancel()
    assert status == 0  # stopped by the signal, not by the simulator's exit
    assert children[0].process.returncode == -signal.SIGTERM
    err = capsys.readouterr().err
    assert "partner-sim-police 已退出（状态 3），其余进程继续运行" in err
