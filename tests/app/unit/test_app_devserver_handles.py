"""`invoke serve` forgets the embedded PostgreSQL handles of processes that are gone (a SIGKILLed serve
would otherwise keep every later serve from stopping its PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.devserver import _forget_dead_handles

pytestmark = pytest.mark.unit


def test_dead_handles_are_dropped_and_live_ones_kept(tmp_path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    listing = tmp_path / ".handle_pids.json"
    listing.write_text(json.dumps([dead.pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    assert json.loads(listing.read_text()) == [os.getpid()]
    _forget_dead_handles(tmp_path / "nowhere")  # no listing yet: nothing to do, no error
