"""Where `invoke test-integration` / `invoke loadtest` point: a clear reason when a deployed env is not reachable."""

from __future__ import annotations

import pytest

from ops import http_target
from ops.http_target import TargetUnavailableError, client_for, deployed_target

pytestmark = pytest.mark.unit


def test_the_integration_and_load_clients_come_from_the_stack_files():
    assert client_for("staging", "integration-tests") == ("standard", "integration-tests")
    assert client_for("staging", "loadtest") == ("partner", "loadtest")
    with pytest.raises(TargetUnavailableError, match="projects/api/Pulumi.prod.yaml: no client 'integration-tests'"):
        client_for("prod", "integration-tests")


def test_no_pulumi_cli_is_a_reason_not_a_traceback(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(TargetUnavailableError, match="the pulumi CLI is not installed"):
        deployed_target("staging", "integration-tests")


def test_an_unanswering_api_is_a_reason(monkeypatch):
    monkeypatch.setattr(http_target.time, "sleep", lambda _s: None)
    port = http_target.free_port()  # nothing listens there
    with pytest.raises(TargetUnavailableError, match=r"/health did not answer 200 within 0 s"):
        http_target.wait_healthy(f"http://127.0.0.1:{port}/v1", 0.2)


def test_local_function_context_has_the_deployed_api_timeout():
    from app.local import FakeContext
    from shared.aws_limits import API_FUNCTION_MAX_TIMEOUT_SECONDS
    from shared.synth.render import layer_config

    timeouts = {layer_config("compute", env)["functions"]["api"]["timeoutSeconds"] for env in ("dev", "staging", "prod")}
    assert timeouts == {FakeContext().timeout_ms // 1000} and max(timeouts) <= API_FUNCTION_MAX_TIMEOUT_SECONDS


def test_the_local_load_test_asks_serve_for_options_serve_has():
    """`invoke loadtest --target local` starts `invoke serve` with these options: each must be one of serve's."""
    from ops.app import serve
    from ops.integration import local_serve_args

    flags = {f"--{name.replace('_', '-')}" for arg in serve.get_arguments() for name in arg.names}
    default = local_serve_args(8, durable_commits=False)
    assert {a for a in default if a.startswith("--")} <= flags
    assert "--async-commit" in default and default[default.index("--environments") + 1] == "8"
    assert "--async-commit" not in local_serve_args(8, durable_commits=True)


def test_sigterm_unwinds_through_finally_so_a_started_server_is_stopped(tmp_path):
    """`timeout 300 invoke loadtest` sends SIGTERM: the process must leave through its finally blocks
    (where local_server stops `invoke serve`), not die with serve and PostgreSQL orphaned."""
    import signal
    import subprocess
    import sys
    import time

    own = signal.getsignal(signal.SIGTERM)  # tests/http's session server may hold sigterm_unwinds' handler
    marker = tmp_path / "cleaned"
    script = (
        "import sys, time\n"
        "from ops.http_target import sigterm_unwinds\n"
        "with sigterm_unwinds():\n"
        "    try:\n"
        "        print('ready', flush=True)\n"
        "        time.sleep(30)\n"
        "    finally:\n"
        f"        open({str(marker)!r}, 'w').write('yes')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=http_target.REPO_ROOT)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 5 and marker.read_text() == "yes"
    assert signal.getsignal(signal.SIGTERM) == own  # nothing leaked into this (the test) process


def test_sigterm_unwinds_leaves_someone_elses_handler_alone():
    import signal

    def mine(_signum, _frame):  # pragma: no cover - never delivered
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with http_target.sigterm_unwinds():
            assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
