"""The load profile of `invoke loadtest`: the API's real mix, paced without bursts.

Mix (reads dominate, as for an orders API), per 100 requests: 60 GET /orders/{id} (orders made in the
seeding phase, before the measured window, or by this client), 15 GET /orders?limit=20, 10 POST /orders
(fresh idempotency keys), 3 POST /orders/async (one order each: API -> SQS -> worker), 7 GET /jobs/{id}
(those jobs' status), 5 GET /health.

Each simulated client keeps one connection (locust's FastHttpUser: geventhttpclient, several times less
CPU per request than HttpUser/requests, which matters when locust shares the cores with the server) and
sends SI_LOAD_USER_RPS requests per second on a fixed schedule from a random phase (``wait_time``,
``on_start``): the offered load does not bunch up behind slow answers.

Environment (set by the invoke task): SI_TARGET_URL, SI_TARGET_API_KEY, SI_LOAD_SEED (a JSON file with the
seeded ``order_ids`` and ``job_ids``), SI_LOAD_USER_RPS, SI_LOAD_TIMING (where to write the server's
``Server-Timing`` figures, when the target sends them: `invoke serve --server-timing`).
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from typing import Any

import gevent
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser

from ops.load.report import ServerTimings

BASE = os.environ["SI_TARGET_URL"].rstrip("/")
HEADERS = {"Content-Type": "application/json", **({"x-api-key": k} if (k := os.environ.get("SI_TARGET_API_KEY")) else {})}
ORDER = {"customer_id": "c-load", "items": [{"sku": "sku-1", "quantity": 1, "unit_price": "5.00"}]}
with open(os.environ["SI_LOAD_SEED"]) as _seed_file:
    SEED: dict[str, list[str]] = json.load(_seed_file)
KEEP = 50  # ids a client remembers of what it created itself
USER_RPS = float(os.environ.get("SI_LOAD_USER_RPS", "1"))

TIMINGS = ServerTimings()


@events.request.add_listener
def _server_timing(name: str, response_time: float, response: Any = None, exception: Any = None, **_: Any) -> None:
    """Keep the server's own account of each answered request (the ``Server-Timing`` header)."""
    header = getattr(response, "headers", None) and response.headers.get("Server-Timing")
    if header and exception is None:
        TIMINGS.add(name, response_time, header)


@events.quitting.add_listener
def _write_timings(**_: Any) -> None:
    if (path := os.environ.get("SI_LOAD_TIMING")) and TIMINGS:
        TIMINGS.write(path)


def _key() -> dict[str, str]:
    return {**HEADERS, "Idempotency-Key": f"load-{uuid.uuid4()}"}


class Client(FastHttpUser):
    host = BASE

    def wait_time(self) -> float:
        """Until this client's next slot: one every 1/USER_RPS s from its first request, whatever the
        answers' latency. locust's constant_throughput sends at once after a slow answer, which moves the
        client's phase to when the answer came: after a stall (a cold reader engine in every environment
        at start) the clients' phases bunched at the stall's end and stayed bunched, a burst every second
        for the rest of the run. A client whose answer took longer than its period skips to its next slot
        (an independent client would not send faster to catch up)."""
        period = 1 / USER_RPS
        return period - ((time.monotonic() - self.anchor) % period)

    def on_start(self) -> None:
        self.order_ids: list[str] = list(SEED["order_ids"])
        self.job_ids: list[str] = list(SEED["job_ids"])
        # Locust starts floor(spawn rate) users at the same instant each second and the pacing keeps each
        # client's phase: without this, every client would send at the same moment, a burst of the whole
        # second's requests at once. A random phase per client makes the arrivals independent clients'.
        gevent.sleep(random.uniform(0, 1 / USER_RPS))
        self.anchor = time.monotonic()

    @staticmethod
    def _remember(ids: list[str], value: str) -> None:
        ids.append(value)
        if len(ids) > len(SEED["order_ids"]) + KEEP:
            del ids[len(SEED["order_ids"])]

    @task(60)
    def get_order(self) -> None:
        self.client.get(f"{BASE}/orders/{random.choice(self.order_ids)}", name="GET /orders/{id}", headers=HEADERS)

    @task(15)
    def list_orders(self) -> None:
        self.client.get(f"{BASE}/orders?limit=20", name="GET /orders", headers=HEADERS)

    @task(10)
    def create_order(self) -> None:
        with self.client.post(f"{BASE}/orders", json=ORDER, name="POST /orders", headers=_key(),
                              catch_response=True) as r:
            if r.status_code == 201:
                self._remember(self.order_ids, r.json()["id"])

    @task(3)
    def create_async(self) -> None:
        with self.client.post(f"{BASE}/orders/async", json={"orders": [ORDER]}, name="POST /orders/async",
                              headers=_key(), catch_response=True) as r:
            if r.status_code == 202:
                self._remember(self.job_ids, r.json()["job_id"])

    @task(7)
    def get_job(self) -> None:
        self.client.get(f"{BASE}/jobs/{random.choice(self.job_ids)}", name="GET /jobs/{id}", headers=HEADERS)

    @task(5)
    def health(self) -> None:
        self.client.get(f"{BASE}/health", name="GET /health", headers=HEADERS)
