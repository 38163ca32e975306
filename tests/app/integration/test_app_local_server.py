"""The local HTTP adapter under hostile HTTP and outages: a JSON 4xx for every malformed request (and the
server keeps serving), keep-alive without stalls, concurrent execution environments, and gates that
take the database or the AWS emulator away and bring them back."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.local import TcpGate, gate_postgres, json_request, make_api_server
from tests.app.db_counts import scalar

pytestmark = pytest.mark.integration


def raw_request(base_url: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``payload`` as is; ``/orders`` in it is put under the stage path of ``base_url``."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    payload = payload.replace(b" /orders", f" {parts.path}/orders".encode(), 1)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


ORDER = json.dumps({"customer_id": "c-raw", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]}).encode()


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"POST /orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n\xff\xfe{}", 400),
        (b"POST /orders HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}", 400),
        (b"POST /orders HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /orders HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
        (b"POST /orders HTTP/1.1\r\nContent-Length: 50\r\n\r\n{}", 400),  # shorter than announced
        (b"POST /orders HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"POST /orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /orders HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"POST /orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n", 400),
        (b"BREW /orders HTTP/1.1\r\n\r\n", 405),
        (b"GARBAGE\r\n\r\n", 400),
        (b"OPTIONS /orders HTTP/1.1\r\n\r\n", 404),
    ],
    ids=["invalid-utf8", "cl-text", "cl-negative", "cl-huge", "cl-short", "cl-twice", "chunk-bad", "te-gzip",
         "te-and-cl", "unknown-method", "bad-request-line", "options"],
)
def test_malformed_http_gets_a_json_4xx_and_the_server_keeps_serving(api_url: str, payload: bytes, status: int) -> None:
    got, headers, body = raw_request(api_url, payload)
    assert got == status, body
    assert headers.get("Content-Type", "").startswith("application/json")
    assert isinstance(json.loads(body)["message"], str)
    assert json_request(api_url, "GET", "/health")[0] == 200


def test_chunked_body_is_read(api_url: str, clean_db: None) -> None:
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (ORDER[:10], ORDER[10:])) + b"0\r\n\r\n"
    key = f"chunked-{uuid.uuid4()}".encode()
    status, _, body = raw_request(
        api_url,
        b"POST /orders HTTP/1.1\r\nContent-Type: application/json\r\nIdempotency-Key: " + key
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
    )
    assert status == 201, body


def test_head_has_headers_and_no_body(api_url: str) -> None:
    conn = http.client.HTTPConnection(api_url.removeprefix("http://").split("/")[0], timeout=10)
    stage = "/" + api_url.removeprefix("http://").split("/", 1)[1]
    conn.request("HEAD", f"{stage}/health")
    resp = conn.getresponse()
    assert 200 <= resp.status < 500 and resp.read() == b""
    conn.request("GET", f"{stage}/health")  # the same connection is still in step
    assert conn.getresponse().status == 200
    conn.close()


def test_keep_alive_requests_do_not_stall(api_url: str) -> None:
    """A reused connection used to cost ~43 ms per request (headers and body in two writes + Nagle)."""
    conn = http.client.HTTPConnection(api_url.removeprefix("http://").split("/")[0], timeout=10)
    stage = "/" + api_url.removeprefix("http://").split("/", 1)[1]
    took = []
    for _ in range(15):
        started = time.perf_counter()
        conn.request("GET", f"{stage}/health")
        assert conn.getresponse().read()
        took.append(time.perf_counter() - started)
    conn.close()
    assert statistics.median(took[1:]) < 0.030, took


@pytest.fixture
def outage_stack(pg_url: str, queues: dict, ssm_params: dict, moto_endpoint: str,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The API with 4 execution environments, the database and the emulator behind gates. The config TTL is
    1 s (a cache hierarchy without config_ttl_seconds), so a refresh happens during the test."""
    db_gate, db_url = gate_postgres(pg_url)
    emulator_gate = TcpGate(("127.0.0.1", int(moto_endpoint.rsplit(":", 1)[1])))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{emulator_gate.port}")
    monkeypatch.setenv("PARAMETER_PREFIX_CACHE", "/myapp/dev/cache-outage-test/")
    monkeypatch.setenv("CONFIG_TTL_SECONDS", "1")
    server = make_api_server("127.0.0.1", 0, environments=4, warm=4)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        # Warm every environment (config loaded, engine built): 4 concurrent requests take 4 distinct idle
        # environments. Cold starts of several processes at once take seconds on a busy 2-core machine.
        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(lambda _: json_request(base, "GET", "/orders?limit=1")[0], range(4))) == {200}
        yield {"base": base, "db": db_gate, "emulator": emulator_gate, "server": server}
    finally:
        server.shutdown()
        server.server_close()
        server.environments.close()  # type: ignore[attr-defined]
        db_gate.close()
        emulator_gate.close()


def post(base: str, key: str) -> tuple[int, dict[str, str], float]:
    started = time.monotonic()
    body = {"customer_id": "c-outage", "items": [{"sku": "s", "quantity": 1, "unit_price": "2.00"}]}
    status, headers, _ = json_request(base, "POST", "/orders", body, headers={"Idempotency-Key": key})
    return status, headers, time.monotonic() - started


def test_outages_answer_fast_503s_lose_nothing_and_recover(outage_stack: dict, pg_url: str, clean_db: None) -> None:
    base = outage_stack["base"]
    assert post(base, "warm-0")[0] == 201

    # SSM away: a config refresh fails and the cached config is served (stale), requests still succeed
    outage_stack["emulator"].close()
    time.sleep(1.2)  # past the 1 s TTL
    assert json_request(base, "GET", "/orders?limit=1")[0] == 200
    outage_stack["emulator"].open()

    # the database away: concurrent requests are each answered 503 + Retry-After within their own retry
    # budget, in parallel environments (not queued one behind another)
    outage_stack["db"].close()
    single = post(base, "outage-alone")
    assert single[0] == 503 and single[1].get("Retry-After")
    keys = [f"outage-{i}" for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda k: post(base, k), keys))
    assert [a[0] for a in answers] == [503] * 4
    assert all(a[1].get("Retry-After") for a in answers)
    # Served side by side: the slowest of 4 takes about as long as one alone (behind one lock it was ~4x)
    slowest = max(a[2] for a in answers)
    print(f"503 alone {single[2]:.2f}s; 4 concurrent: slowest {slowest:.2f}s")
    assert slowest < 3 * single[2] + 1.0, (single[2], [round(a[2], 2) for a in answers])
    assert scalar(pg_url, "SELECT count(*) FROM orders") == 1  # a refused request wrote nothing

    # back: the very next request succeeds; retrying the refused ones loses nothing and duplicates nothing
    outage_stack["db"].open()
    assert post(base, "after-0")[0] == 201
    assert [post(base, k)[0] for k in keys] == [201] * 4
    assert [post(base, k)[0] for k in keys] == [200] * 4
    assert scalar(pg_url, "SELECT count(*) FROM orders") == 6
    assert outage_stack["server"].environments.size >= 2  # type: ignore[attr-defined]


def test_environments_validate_before_the_handler_and_say_where_the_time_went(
    api_url: str, pg_url: str, clean_db: None
) -> None:
    """With execution environments the gateway's validation runs in them (not in the HTTP front's one
    process): a refused body still never reaches the handler. With ``timing`` each answer carries a
    Server-Timing header whose parts add up; without it (the default) none."""
    from ops.load.report import parse_server_timing
    from tests.app.db_counts import orders_in_db

    assert "Server-Timing" not in json_request(api_url, "GET", "/health")[1]
    server = make_api_server("127.0.0.1", 0, environments=1, warm=1, timing=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        before = orders_in_db(pg_url)
        status, headers, body = json_request(base, "POST", "/orders", {"customer_id": "c-bad"},
                                             headers={"Idempotency-Key": "timing-1"})
        refused = parse_server_timing(headers["Server-Timing"])
        assert status == 400 and body["message"] == "request does not match the API definition"
        assert orders_in_db(pg_url) == before and "handler" not in refused and refused["validate"] > 0

        status, headers, created = json_request(base, "POST", "/orders", json.loads(ORDER),
                                                headers={"Idempotency-Key": "timing-2"})
        assert status == 201 and orders_in_db(pg_url) == before + 1
        status, headers, _ = json_request(base, "GET", f"/orders/{created['id']}")
        parts = parse_server_timing(headers["Server-Timing"])
        assert status == 200 and {"validate", "wait", "handler", "db", "cpu", "ipc", "total"} <= set(parts)
        assert 0 < parts["db"] < parts["handler"]  # SQL round trips are part of the handler's time
        assert parts["total"] >= parts["validate"] + parts["handler"] + parts["wait"]
    finally:
        server.shutdown()
        server.server_close()
        server.environments.close()  # type: ignore[attr-defined]
