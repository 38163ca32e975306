"""One execution environment of the api function in a process of its own, for the replica cap test.

Each ``go`` line on stdin makes it answer one ``GET /orders`` through the real handler and print
``RESULT {"status": ..., "served": [...], "reason": ...}``; it keeps its engines (and so its replica
connection, if it got one) until stdin closes, as a warm Lambda environment does between requests.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter


def main() -> None:
    from app import db, replica
    from app.handlers import api
    from app.local import FakeContext

    print("RESULT ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        before = Counter(db.served)
        event = {"httpMethod": "GET", "path": "/orders", "resource": "/orders", "headers": {},
                 "requestContext": {"requestId": str(uuid.uuid4())}}
        response = api.lambda_handler(event, FakeContext(function_name="api"))
        served = sorted((db.served - before).elements())
        orders = len(json.loads(response["body"])["orders"]) if response["statusCode"] == 200 else None
        result = {"status": response["statusCode"], "served": served, "orders": orders,
                  "reason": replica.health.reason}
        print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
