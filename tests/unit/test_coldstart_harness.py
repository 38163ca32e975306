"""The cold-start benchmark's harness: sandbox, X-Ray sink, PostgreSQL relay, the function's environment."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from ops import coldstart, coldstart_stack
from ops.coldstart_report import replace_section, stretched

pytestmark = pytest.mark.unit


def write_zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def test_unpack_without_bytecode_drops_pycache_only(tmp_path):
    write_zip(tmp_path / "a.zip", {"python/pkg/m.py": "x = 1\n", "python/pkg/__pycache__/m.cpython-311.pyc": "b"})
    assert coldstart.unpack(tmp_path / "a.zip", tmp_path / "out", "python/", with_bytecode=False) == 1
    assert (tmp_path / "out" / "pkg" / "m.py").exists() and not (tmp_path / "out" / "pkg" / "__pycache__").exists()
    assert coldstart.unpack(tmp_path / "a.zip", tmp_path / "all", "python/") == 2


def test_sandbox_is_read_only_and_removed(tmp_path):
    write_zip(tmp_path / "app.zip", {"app/__init__.py": "", "app/__pycache__/__init__.cpython-311.pyc": "b"})
    write_zip(tmp_path / "dependencies-layer.zip", {"python/lib.py": "y = 2\n"})
    with coldstart.sandbox(tmp_path, with_bytecode=False) as box:
        assert (box.task / "app" / "__init__.py").exists() and (box.layer / "lib.py").exists()
        assert (box.runtime / "botocore").is_dir() and (box.runtime / "boto3").is_dir()
        assert not os.stat(box.task / "app").st_mode & 0o222, "the function folder is writable"
        assert box.path.split(os.pathsep) == [str(box.task), str(box.layer), str(box.runtime)]
        root = box.root
    assert not root.exists()


def test_udp_sink_counts_xray_documents_only():
    sink = coldstart_stack.UdpSink()
    try:
        host, port = sink.address.split(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b'{"format": "json", "version": 1}\n{"name": "api"}', (host, int(port)))
            sender.sendto(b"not a trace document", (host, int(port)))
        deadline = time.monotonic() + 2
        while sink.received < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert sink.received == 1
    finally:
        sink.close()


def test_relay_carries_tcp_to_a_unix_socket(tmp_path):
    path = str(tmp_path / ".s.PGSQL.5432")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()

    def echo() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(100).upper())

    threading.Thread(target=echo, daemon=True).start()
    url, relay = coldstart_stack.tcp_url(f"postgresql+psycopg://postgres:@/postgres?host={tmp_path}")
    assert relay is not None and url == f"postgresql+psycopg://postgres@127.0.0.1:{relay.port}/postgres"
    try:
        with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as client:
            client.sendall(b"ping")
            assert client.recv(100) == b"PING"
    finally:
        relay.close()
        server.close()
    assert coldstart_stack.tcp_url("postgresql+psycopg://u:p@db.example:5432/app") == (
        "postgresql+psycopg://u:p@db.example:5432/app",
        None,
    )


def test_function_environment_keeps_the_graph_and_adds_what_lambda_sets(tmp_path):
    settings = {
        "variables": {"APP_ENV": "prod", "DATABASE_IAM_AUTH": "true", "ORDERS_QUEUE_URL": "https://sqs.aws/q"},
        "memory_mb": 512,
        "function_name": "serverless-infra-prod-api",
    }
    box = coldstart.Sandbox(tmp_path)
    env = coldstart.child_env(settings, box, "app.handlers.api.lambda_handler", "http://127.0.0.1:9", "127.0.0.1:7", "q")
    assert env["APP_ENV"] == "prod"
    # No TLS in the embedded PostgreSQL: the connection goes without IAM, the token is signed and timed apart.
    assert env["DATABASE_IAM_AUTH"] == "false" and env["COLDSTART_SIGN_TOKEN"] == "true"
    assert env["ORDERS_QUEUE_URL"] == "q" and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:7" and "POWERTOOLS_TRACE_DISABLED" not in env
    assert env["LAMBDA_TASK_ROOT"] == str(box.task) and env["_X_AMZN_TRACE_ID"].endswith("Sampled=1")
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"  # what app.coldstart keys the GC pause on


def test_first_events_are_the_requests_the_budget_names():
    api = coldstart.api_first_event()
    assert (api["httpMethod"], api["path"]) == ("POST", "/orders") and json.loads(api["body"])["items"]
    records = coldstart.worker_first_event()["Records"]
    assert len(records) == 500 and len({r["messageId"] for r in records}) == 500
    with pytest.raises(RuntimeError, match="POST /orders answered"):
        coldstart.check_response("api", {"statusCode": 500})
    with pytest.raises(RuntimeError, match="reported failures"):
        coldstart.check_response("worker", {"batchItemFailures": [{"itemIdentifier": "m1"}]})


def test_memory_scaling_and_doc_section_replacement():
    assert stretched(100.0, 1769) == 100.0 and stretched(100.0, 3008) == 100.0
    assert round(stretched(100.0, 512)) == 346
    text = "# P\n\n## A\nold\n\n## Cold start as deployed\nold figures\n\n## B\nkeep\n"
    new = replace_section(text, "Cold start as deployed", "## Cold start as deployed\nnew\n")
    assert "old figures" not in new and "## B\nkeep" in new and "## A\nold" in new


def test_memory_table_prices_come_from_the_price_file_for_the_functions_architecture():
    from ops.coldstart_report import memory_table
    from shared.cost.prices import load_prices

    sample = {"init_ms": 100.0, "first_ms": 200.0, "init_cpu_ms": 90.0, "first_cpu_ms": 150.0, "process_ms": 400.0,
              "compiled_by_root": {"function": 0, "layer": 0}, "trace_documents": 4}
    settings = {"memory_mb": 1024, "provisioned_floor": 2, "architecture": "x86_64"}
    measured = {"results": {"bytecode": {"api": [sample]}}, "settings": {"api": settings}}
    table = load_prices()
    monthly = 2 * 1.0 * table.hours_per_month * 3600 * table.prices.lambda_provisioned_gb_second["x86_64"].usd
    row = next(line for line in memory_table(measured).splitlines() if "1024 MB (configured)" in line)
    assert f"${monthly:,.2f}" in row
    settings["architecture"] = "arm64"
    assert f"${monthly:,.2f}" not in memory_table(measured)  # arm64 is priced apart


def test_phase_table_keeps_the_step_order_and_marks_steps_a_function_skips():
    from ops.coldstart_phases import table as phase_table

    results = {
        "api": [{"aws_lambda_powertools": 30.0, "sqlalchemy": 100.0}, {"aws_lambda_powertools": 40.0, "sqlalchemy": 120.0}],
        "worker": [{"aws_lambda_powertools": 35.0, "batch": 40.0, "sqlalchemy": 110.0}],
    }
    rows = phase_table(results).splitlines()[2:]
    assert rows == [
        "| aws_lambda_powertools | 35 | 35 |",
        "| sqlalchemy | 110 | 110 |",
        "| batch | - | 40 |",
        "| sum of the steps | 145 | 185 |",
    ]
