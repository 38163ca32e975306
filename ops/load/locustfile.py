"""The load profile of `invoke loadtest`: each simulated client sends one request per second.

Mix (reads dominate, as for an orders API): 70% GET /orders/{id} of orders made at start, 15% GET /orders,
10% POST /orders (fresh idempotency keys), 5% GET /health. Target and key come from the environment
(SI_TARGET_URL, SI_TARGET_API_KEY), set by the invoke task.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import HttpUser, constant_throughput, task

BASE = os.environ["SI_TARGET_URL"].rstrip("/")
HEADERS = {"Content-Type": "application/json", **({"x-api-key": k} if (k := os.environ.get("SI_TARGET_API_KEY")) else {})}
ORDER = {"customer_id": "c-load", "items": [{"sku": "sku-1", "quantity": 1, "unit_price": "5.00"}]}


class Client(HttpUser):
    host = BASE
    wait_time = constant_throughput(1)

    def on_start(self) -> None:
        self.ids: list[str] = []
        for _ in range(3):
            with self.client.post(f"{BASE}/orders", json=ORDER, name="POST /orders (seed)", catch_response=True,
                                  headers={**HEADERS, "Idempotency-Key": f"load-{uuid.uuid4()}"}) as r:
                if r.status_code == 201:
                    self.ids.append(r.json()["id"])
                else:
                    r.failure(f"seed order: HTTP {r.status_code}")

    @task(70)
    def get_order(self) -> None:
        if self.ids:
            self.client.get(f"{BASE}/orders/{random.choice(self.ids)}", name="GET /orders/{id}", headers=HEADERS)

    @task(15)
    def list_orders(self) -> None:
        self.client.get(f"{BASE}/orders?limit=20", name="GET /orders", headers=HEADERS)

    @task(10)
    def create_order(self) -> None:
        self.client.post(f"{BASE}/orders", json=ORDER, name="POST /orders",
                         headers={**HEADERS, "Idempotency-Key": f"load-{uuid.uuid4()}"})

    @task(5)
    def health(self) -> None:
        self.client.get(f"{BASE}/health", name="GET /health", headers=HEADERS)
