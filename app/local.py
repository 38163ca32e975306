"""Local runtime: HTTP -> API Gateway REST proxy event adapter, SQS -> Lambda event pollers, a fake context.

Used by ``invoke serve`` and by the integration tests, so what they exercise is the real
``lambda_handler`` of each function, fed the event shapes Lambda feeds it. Not shipped behaviour: nothing
in the handlers imports this module.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ACCOUNT = "123456789012"
# The deployed API serves under its stage (https://{id}.execute-api.../v1/orders); so does the local one.
STAGE = "v1"


@dataclass
class FakeContext:
    """The attributes of ``LambdaContext`` Powertools and the handlers read."""

    function_name: str = "serverless-infra-dev-api"
    timeout_ms: int = 25_000  # compute's api timeoutSeconds (<= shared/aws_limits.API_FUNCTION_MAX_TIMEOUT_SECONDS)
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.function_name}:live"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.timeout_ms - (time.monotonic() - self.started) * 1000))


def api_event(
    method: str,
    raw_path: str,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    stage: str = STAGE,
) -> dict:
    """An API Gateway REST (v1) proxy event, as the proxy integration sends it for ``/{stage}{raw_path}``."""
    parts = urlsplit(raw_path)
    query = parse_qsl(parts.query, keep_blank_values=True)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in query:
        single[k] = v
        multi.setdefault(k, []).append(v)
    headers = dict(headers or {})
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": parts.path,
        "httpMethod": method.upper(),
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": single or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": {"proxy": parts.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": f"/{stage}{parts.path}",
            "stage": stage,
            "requestId": request_id,
            "accountId": ACCOUNT,
            "apiId": "local",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "requestTimeEpoch": int(time.time() * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def make_api_server(
    host: str,
    port: int,
    handler: Callable[[dict, Any], dict] | None = None,
    validate: bool = True,
    throttle: Any = None,
) -> ThreadingHTTPServer:
    """A ThreadingHTTPServer that turns each request into a proxy event for ``handler``.

    Like the deployed API: served under ``/{STAGE}``, and (``validate``) requests the gateway's validators
    would refuse are answered before the handler runs (app/local_validation.py); with ``throttle`` (a
    ``local_validation.TokenBucket``) requests over the stage's rate get the gateway's 429.

    Requests reach the handler one at a time (a lock): a Lambda execution environment serves one
    request at a time too, and the Powertools resolver keeps the current event on the app object.
    """
    if handler is None:
        from app.handlers.api import lambda_handler as handler
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            event, response = _gateway(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            if response is None:
                with lock:
                    response = handler(event, FakeContext())
            payload = (response.get("body") or "").encode()
            self.send_response(int(response["statusCode"]))
            for name, values in (response.get("multiValueHeaders") or {}).items():
                for value in values:
                    self.send_header(name, str(value))
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return None

    def _gateway(method: str, raw_path: str, headers: dict[str, str], body: str | None) -> tuple[dict, dict | None]:
        """(the proxy event, what API Gateway answers itself or None): no stage prefix, a refused request."""
        path = urlsplit(raw_path).path
        if path != f"/{STAGE}" and not path.startswith(f"/{STAGE}/"):
            message = f"no route for {method} {path}: the API is served under /{STAGE}"
            return {}, _json_response(404, {"message": message})
        event = api_event(method, raw_path[len(STAGE) + 1 :] or "/", headers, body)
        if throttle is not None and not throttle.take():
            from app.local_validation import throttled

            return event, _json_response(*throttled(event["requestContext"]["requestId"]))
        if validate:
            from app.local_validation import as_event_check

            refused = as_event_check(event)
            if refused is not None:
                return event, _json_response(refused[0], refused[1])
        return event, None

    return _Server((host, port), Handler)


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a load test's first burst of connections was refused.
    request_queue_size = 256
    daemon_threads = True


def _json_response(status: int, body: Any) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": text}


def sqs_event(messages: list[dict], queue_arn: str) -> dict:
    """ReceiveMessage output -> the SQS event Lambda's event source mapping delivers."""
    records = []
    for m in messages:
        attrs = {}
        for name, a in (m.get("MessageAttributes") or {}).items():
            attrs[name] = {
                "stringValue": a.get("StringValue"),
                "dataType": a.get("DataType", "String"),
                "stringListValues": [],
                "binaryListValues": [],
            }
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": attrs,
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def poll_once(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict, Any], dict],
    *,
    batch_size: int = 500,
    wait_seconds: int = 0,
    window_seconds: float = 0.2,
    function_name: str = "worker",
    retain_visibility: int | None = None,
) -> dict[str, Any]:
    """One event-source-mapping cycle: gather up to ``batch_size`` messages (10 per receive, within a
    batching window), invoke ``handler``, delete what it did not report as failed (as Lambda does with
    ``ReportBatchItemFailures``). Failed messages stay invisible until the queue's visibility timeout
    (or ``retain_visibility`` seconds) ends, then come back, and after maxReceiveCount go to the DLQ."""
    messages: list[dict] = []
    end = time.monotonic() + window_seconds
    while len(messages) < batch_size:
        resp = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, batch_size - len(messages)),
            WaitTimeSeconds=wait_seconds if not messages else 0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        got = resp.get("Messages", [])
        messages.extend(got)
        if not got and (not messages or time.monotonic() >= end):
            break
    if not messages:
        return {"received": 0, "failed": [], "response": None, "messages": []}
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        response = handler(
            sqs_event(messages, arn), FakeContext(function_name=function_name, timeout_ms=60_000)
        )
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
    except Exception as exc:  # an invocation error fails the whole batch, as on Lambda
        import logging

        logging.getLogger(__name__).warning("%s invocation failed: %r", function_name, exc, exc_info=True)
        response, failed = None, {m["MessageId"] for m in messages}
    done = [m for m in messages if m["MessageId"] not in failed]
    for start in range(0, len(done), 10):
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + 10])
            ],
        )
    if retain_visibility is not None:
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=retain_visibility
                )
    return {"received": len(messages), "failed": sorted(failed), "response": response, "messages": messages}


class Poller(threading.Thread):
    """Background event source mapping for ``invoke serve``: the queue -> worker, the DLQ -> analyzer."""

    def __init__(self, sqs: Any, queue_url: str, dlq_url: str, log: Callable[[str], None] = print) -> None:
        super().__init__(daemon=True, name="sqs-poller")
        self.sqs, self.queue_url, self.dlq_url, self.log = sqs, queue_url, dlq_url, log
        self.stopping = threading.Event()

    def run(self) -> None:
        from app.handlers import dlq_analyzer, worker

        while not self.stopping.is_set():
            try:
                out = poll_once(self.sqs, self.queue_url, worker.lambda_handler, wait_seconds=1)
                if out["received"]:
                    self.log(f"worker: {out['received']} messages, {len(out['failed'])} failed")
                dead = poll_once(
                    self.sqs,
                    self.dlq_url,
                    dlq_analyzer.lambda_handler,
                    wait_seconds=0,
                    function_name="dlq-analyzer",
                    retain_visibility=300,  # an unfiled letter waits (DLQ visibility) before the next try
                )
                if dead["received"]:
                    self.log(f"dlq-analyzer: {dead['received']} dead letters, {len(dead['failed'])} not filed "
                             "(`invoke dlq.list --env dev --endpoint-url ...` shows them)")
            except Exception as exc:  # keep polling: the emulator or DB may come back
                self.log(f"poller error: {type(exc).__name__}: {exc}")
                time.sleep(1)


def json_request(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], Any]:
    """Tiny HTTP client for tests and the bench: returns (status, headers, parsed JSON body)."""
    import urllib.error
    import urllib.request

    data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
    if isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(
        base_url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, dict(err.headers), err.read()
    return status, hdrs, (json.loads(raw) if raw else None)
