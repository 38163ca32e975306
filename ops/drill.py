"""`invoke drill`: open-loop load on the local stack, optionally with the database taken away mid-run.

The local stack is ``invoke serve``'s (embedded PostgreSQL, moto, the API in N execution environments),
started in this process. Requests are ``POST /orders`` with a fresh Idempotency-Key each, sent on a fixed
schedule (open loop: a slow answer does not slow the offered load, and latency is measured from the
scheduled send time, so queueing shows). After the run every key answered 503 is sent again, and the
database is checked: one row per key, none lost, none duplicated.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

from app.percentile import percentile

ORDER = {"customer_id": "drill", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]}


@dataclass
class Results:
    by_status: Counter = field(default_factory=Counter)
    latencies: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds from scheduled send)
    unavailable: list[str] = field(default_factory=list)  # keys answered 503
    dropped: list[str] = field(default_factory=list)  # keys whose answer never came (connection error)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(host: str, port: int, prefix: str, work: queue.Queue, results: Results) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    while (item := work.get()) is not None:
        scheduled, key = item
        try:
            conn.request("POST", f"{prefix}/orders", json.dumps(ORDER),
                         {"Content-Type": "application/json", "Idempotency-Key": key})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            with results.lock:
                results.errors += 1
                results.dropped.append(key)
            continue
        with results.lock:
            results.by_status[status] += 1
            results.latencies.append((status, time.monotonic() - scheduled))
            if status == 503:
                results.unavailable.append(key)
    conn.close()


def offer_load(base_url: str, rps: float, seconds: float, clients: int, on_tick: Any = None) -> Results:
    """Send ``rps`` requests per second for ``seconds`` through ``clients`` keep-alive connections."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    work: queue.Queue = queue.Queue()
    results = Results()
    threads = [threading.Thread(target=_client, args=(parts.hostname, parts.port, parts.path, work, results), daemon=True)
               for _ in range(clients)]
    for t in threads:
        t.start()
    start = time.monotonic()
    total = int(rps * seconds)
    run_id = f"{int(time.time())}"
    for i in range(total):
        scheduled = start + i / rps
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if on_tick is not None:
            on_tick(scheduled - start)
        work.put((scheduled, f"drill-{run_id}-{i}"))
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join()
    return results


def report(results: Results, seconds: float) -> list[str]:
    ok = [s for st, s in results.latencies if st < 500]
    unavailable = [s for st, s in results.latencies if st == 503]
    every = [s for _, s in results.latencies]
    lines = [
        f"answers: {dict(sorted(results.by_status.items()))}, connection errors: {results.errors}",
        f"achieved {len(every) / seconds:.1f} rps; latency from scheduled send: p50 {percentile(every, 50) * 1000:.1f} ms, "
        f"p99 {percentile(every, 99) * 1000:.1f} ms, max {max(every, default=float('nan')) * 1000:.1f} ms",
    ]
    if unavailable:
        lines.append(
            f"503s: {len(unavailable)}, p50 {percentile(unavailable, 50) * 1000:.0f} ms, "
            f"p99 {percentile(unavailable, 99) * 1000:.0f} ms, max {max(unavailable) * 1000:.0f} ms; "
            f"2xx/4xx during the run: p99 {percentile(ok, 99) * 1000:.0f} ms"
        )
    return lines


@task(
    help={
        "rps": "offered requests per second (default 167)",
        "seconds": "length of the run (default 60)",
        "environments": "API execution environments, one process each (default 8)",
        "clients": "keep-alive client connections (default 32)",
        "db_down_at": "seconds into the run at which the database is taken away (default: never)",
        "db_down_for": "seconds the database stays away (default 5)",
    }
)
def drill(c, rps=167, seconds=60, environments=8, clients=32, db_down_at=None, db_down_for=5):
    """Open-loop POST /orders load on the local stack, optionally with the database stopped mid-run;
    then checks that nothing was lost or duplicated (docs/performance.md)."""
    from app.devserver import run
    from tests.app.db_counts import scalar

    ready = threading.Event()
    stop = threading.Event()
    server = threading.Thread(
        target=run, kwargs={"port": 0, "log": lambda _l: None, "ready": ready, "stop": stop,
                            "environments": int(environments), "quiet": True, "gates": True}, daemon=True
    )
    server.start()
    if not ready.wait(120):
        raise Exit("the local stack did not start within 120 s", code=1)
    base, gates = ready.base_url, ready.gates  # type: ignore[attr-defined]
    import os

    db_url = os.environ["DATABASE_URL"]
    try:
        offer_load(base, min(float(rps), 50.0), 3, int(clients))  # warm every environment first
        before = scalar(db_url, "SELECT count(*) FROM orders")
        down_at = None if db_down_at is None else float(db_down_at)
        state = {"down": False, "up": False}

        def tick(t: float) -> None:
            if down_at is not None and not state["down"] and t >= down_at:
                gates["database"].close()
                state["down"] = True
            if state["down"] and not state["up"] and t >= down_at + float(db_down_for):  # type: ignore[operator]
                gates["database"].open()
                state["up"] = True

        results = offer_load(base, float(rps), float(seconds), int(clients), on_tick=tick)
        if state["down"] and not state["up"]:
            gates["database"].open()
        print(f"drill: {rps} rps for {seconds} s, {environments} environments"
              + (f", database away at {db_down_at} s for {db_down_for} s" if down_at is not None else ""))
        for line in report(results, float(seconds)):
            print("  " + line)
        # Re-send what was refused or got no answer: each key must end with exactly one row.
        retried = Counter()
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for key in results.unavailable + results.dropped:
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
            conn.request("POST", f"{parts.path}/orders", json.dumps(ORDER), headers)
            resp = conn.getresponse()
            resp.read()
            retried[resp.status] += 1
        conn.close()
        written = scalar(db_url, "SELECT count(*) FROM orders") - before
        accepted = results.by_status.get(201, 0) + retried.get(201, 0) + retried.get(200, 0)
        offered = int(float(rps) * float(seconds))
        print(f"  re-sent {len(results.unavailable)} refused and {len(results.dropped)} unanswered: {dict(retried)}")
        print(f"  rows written {written} for {offered} keys ({accepted} acknowledged): "
              + ("nothing lost or duplicated" if written == accepted == offered else "MISMATCH"))
    finally:
        stop.set()
        server.join(30)
