"""Local runtime: HTTP -> API Gateway REST proxy event adapter, SQS -> Lambda event pollers, a fake context.

Used by ``invoke serve`` and by the integration tests, so what they exercise is the real
``lambda_handler`` of each function, fed the event shapes Lambda feeds it. Not shipped behaviour: nothing
in the handlers imports this module.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
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


# API Gateway REST refuses a payload past 10 MB [API Gateway quotas: "Payload size" 10 MB].
MAX_BODY_BYTES = 10 * 1024 * 1024
ENVIRONMENT_WAIT_S = 10.0  # a request that finds every environment busy this long gets 429


class HttpReject(Exception):  # noqa: N818 - a reply, not an error of ours
    """A request the adapter answers itself (JSON 4xx), as API Gateway would before invoking Lambda."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


class ServerTiming:
    """Where one request's time went in the local server, in milliseconds, answered as a W3C
    ``Server-Timing`` header (https://www.w3.org/TR/server-timing/) when the server is made with
    ``timing=True`` (`invoke serve --server-timing`; the load test reads it). Parts: ``validate`` (the
    gateway's OpenAPI request validation), ``wait`` (to get an execution environment; of which ``queue``:
    while every environment was busy; the rest is this process's own delays: locks, the interpreter lock,
    the OS scheduling it), ``handler`` (the Lambda handler, measured inside its environment), ``db``
    (of which: SQL statements' round trips),
    ``cpu`` (the environment's CPU time for validation and handler: wall time far above it is time spent
    waiting, for a core or for I/O), ``ipc`` (the hop to the environment process and back), ``total``
    (request read to response written)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.parts: dict[str, float] = {}

    def add(self, name: str, ms: float) -> None:
        self.parts[name] = self.parts.get(name, 0.0) + ms

    def header(self) -> str:
        parts = {**self.parts, "total": (time.perf_counter() - self.started) * 1000}
        return ", ".join(f"{name};dur={ms:.2f}" for name, ms in parts.items())


_TIMING: contextvars.ContextVar[ServerTiming | None] = contextvars.ContextVar("server_timing", default=None)


@contextlib.contextmanager
def _timed(name: str) -> Iterator[None]:
    """Add the block's duration to the current request's ``ServerTiming`` (if it is being timed)."""
    timing, started = _TIMING.get(), time.perf_counter()
    try:
        yield
    finally:
        if timing is not None:
            timing.add(name, (time.perf_counter() - started) * 1000)


class _StatementClock:
    """Sums the time of SQL statements (SQLAlchemy cursor events on every engine) in this process."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.total_s = 0.0
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_: Any) -> None:
        conn.info["si_statement_started"] = time.perf_counter()

    def _after(self, conn: Any, *_: Any) -> None:
        self.total_s += time.perf_counter() - conn.info.pop("si_statement_started", time.perf_counter())


def _invoke_handler(handler: Callable[[dict, Any], dict], event: dict, function_name: str) -> dict:
    try:
        return handler(event, FakeContext(function_name=function_name))
    except Exception as exc:  # an unhandled error: API Gateway answers 502 for a failed invocation
        return {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"message": f"handler failed: {type(exc).__name__}"})}


def _gateway_refusal(event: dict) -> dict | None:
    """The proxy response API Gateway's request validator answers for ``event``, or None to invoke."""
    from app.local_validation import as_event_check

    with _timed("validate"):
        refused = as_event_check(event)
    return None if refused is None else _json_response(refused[0], refused[1])


def _environment_main(
    conn: Any, handler_path: str, function_name: str, quiet: bool = False, validate: bool = False
) -> None:
    """One execution environment: its own interpreter, its own module state (config cache, engines),
    one request at a time, for as long as the pool keeps it. ``quiet``: its logs and EMF metrics
    (stdout) are discarded, as a load run wants. ``validate``: the gateway's request validation runs
    here, before the handler (and a refused request never reaches it), rather than in the HTTP front:
    API Gateway validates on its own fleet, in parallel; in the front's one process every request's
    validation would queue behind the others'. Answers ``(response, {part: ms})``."""
    import importlib
    import os
    import sys

    if quiet:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    module, _, attr = handler_path.partition(":")
    handler = getattr(importlib.import_module(module), attr)
    statements = _StatementClock()
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):
            return
        if event is None:
            return
        timing, db_before, cpu_before = ServerTiming(), statements.total_s, time.process_time()
        token = _TIMING.set(timing)
        try:
            response = _gateway_refusal(event) if validate else None
            if response is None:
                with _timed("handler"):
                    response = _invoke_handler(handler, event, function_name)
        finally:
            _TIMING.reset(token)
        timing.add("db", (statements.total_s - db_before) * 1000)
        timing.add("cpu", (time.process_time() - cpu_before) * 1000)
        conn.send((response, timing.parts))


class ExecutionEnvironments:
    """Lambda's scaling model: each concurrent request is served by its own execution environment (a
    process with its own module state); an idle one is reused (warm), a new one is started when every
    existing one is busy (a cold start), up to ``limit`` (the function's concurrency)."""

    def __init__(
        self,
        handler_path: str,
        limit: int = 8,
        warm: int = 1,
        function_name: str = "api",
        quiet: bool = False,
        validate: bool = False,
    ) -> None:
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")  # fork would copy this process's threads and locks
        self.handler_path, self.limit, self.function_name, self.quiet = handler_path, limit, function_name, quiet
        self.validate = validate  # the gateway's request validation, in the environment before the handler
        self._idle: list[tuple[Any, Any]] = []
        self._all: list[tuple[Any, Any]] = []
        self._cond = threading.Condition()
        self._starting = 0
        for _ in range(min(warm, limit)):
            self._idle.append(self._start())

    def _start(self) -> tuple[Any, Any]:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_environment_main,
            args=(child, self.handler_path, self.function_name, self.quiet, self.validate),
            daemon=True,
        )
        proc.start()
        child.close()
        with self._cond:
            self._all.append((proc, parent))
        return proc, parent

    def _acquire(self) -> tuple[Any, Any]:
        deadline = time.monotonic() + ENVIRONMENT_WAIT_S
        with self._cond:
            while True:
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.limit:
                    self._starting += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HttpReject(429, "too many concurrent requests; retry later")
                with _timed("queue"):  # every environment busy: the only part of "wait" that is queueing
                    self._cond.wait(left)
        try:
            return self._start()
        finally:
            with self._cond:
                self._starting -= 1

    def _release(self, env: tuple[Any, Any], healthy: bool) -> None:
        with self._cond:
            if healthy:
                self._idle.append(env)
            else:
                if env in self._all:
                    self._all.remove(env)
                env[0].join(0.5)
                import sys

                print(f"execution environment pid {env[0].pid} exited ({env[0].exitcode}); replaced on demand",
                      file=sys.stderr)
                env[0].kill()
            self._cond.notify()

    def __call__(self, event: dict) -> dict:
        with _timed("wait"):
            env = self._acquire()
        started = time.perf_counter()
        try:
            env[1].send(event)
            response, parts = env[1].recv()
        except (EOFError, OSError, BrokenPipeError):  # the environment died (crash, OOM): Lambda answers 502
            self._release(env, healthy=False)
            return {"statusCode": 502, "body": json.dumps({"message": "execution environment failed"})}
        self._release(env, healthy=True)
        if (timing := _TIMING.get()) is not None:
            for name, ms in parts.items():
                timing.add(name, ms)
            in_environment = parts.get("validate", 0.0) + parts.get("handler", 0.0)  # "db", "cpu": within
            timing.add("ipc", (time.perf_counter() - started) * 1000 - in_environment)
        return response

    @property
    def size(self) -> int:
        return len(self._all)

    def close(self) -> None:
        with self._cond:
            envs, self._all, self._idle = list(self._all), [], []
        for proc, conn in envs:
            with contextlib.suppress(OSError):
                conn.send(None)
            proc.join(2)
            if proc.is_alive():
                proc.kill()


def _in_process(handler: Callable[[dict, Any], dict]) -> Callable[[dict], dict]:
    """One execution environment in this process: one request at a time (Lambda never gives an
    environment two requests at once, and the Powertools resolver keeps the current event on the app)."""
    lock = threading.Lock()

    def invoke(event: dict) -> dict:
        with _timed("wait"):
            lock.acquire()
        try:
            with _timed("handler"):
                return handler(event, FakeContext())
        finally:
            lock.release()

    return invoke


def make_api_server(
    host: str,
    port: int,
    handler: Callable[[dict, Any], dict] | None = None,
    *,
    environments: int = 0,
    warm: int = 1,
    handler_path: str = "app.handlers.api:lambda_handler",
    quiet: bool = False,
    validate: bool = True,
    throttle: Any = None,
    timing: bool = False,
) -> ThreadingHTTPServer:
    """An HTTP/1.1 server that turns each request into a proxy event.

    Like the deployed API: served under ``/{STAGE}``, and (``validate``) requests the gateway's validators
    would refuse are answered before the handler runs (app/local_validation.py); with ``throttle`` (a
    ``local_validation.TokenBucket``) requests over the stage's rate get the gateway's 429. ``timing``:
    each response says where its time went in a ``Server-Timing`` header (``ServerTiming``).

    ``environments=0`` serves ``handler`` (default: the API's) in this process, one request at a time: a
    test can patch the module state the handler sees. ``environments=N`` models Lambda's scaling: up to
    N execution environments (processes started on demand, ``warm`` of them up front), each with its own
    module state, serving requests concurrently. Malformed requests get a JSON 4xx and the server goes on.
    """
    if environments > 0:
        invoke: Callable[[dict], dict] = ExecutionEnvironments(
            handler_path, limit=environments, warm=warm, quiet=quiet, validate=validate
        )
    else:
        if handler is None:
            from app.handlers.api import lambda_handler

            handler = cast(Callable[[dict, Any], dict], lambda_handler)
        invoke = _in_process(handler)
    # With environments, validation runs in them (``_environment_main``); in this process otherwise.
    gateway = functools.partial(_gateway, validate=validate and environments <= 0, throttle=throttle)
    server = _Server((host, port), _handler_class(invoke, gateway, timing))
    server.environments = invoke  # type: ignore[attr-defined]
    return server


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a load test's first burst of connections was refused.
    request_queue_size = 256
    daemon_threads = True


def _json_response(status: int, body: Any) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": text}


def _gateway(
    method: str, raw_path: str, headers: dict[str, str], body: str | None, *, validate: bool, throttle: Any
) -> tuple[dict, dict | None]:
    """(the proxy event, what API Gateway answers itself or None): no stage prefix, a refused request."""
    path = urlsplit(raw_path).path
    if path != f"/{STAGE}" and not path.startswith(f"/{STAGE}/"):
        message = f"no route for {method} {path}: the API is served under /{STAGE}"
        return {}, _json_response(404, {"message": message})
    event = api_event(method, raw_path[len(STAGE) + 1 :] or "/", headers, body)
    if throttle is not None and not throttle.take():
        from app.local_validation import throttled

        return event, _json_response(*throttled(event["requestContext"]["requestId"]))
    return event, _gateway_refusal(event) if validate else None


def _json_payload(status: int, message: str) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": message})}


def _read_body(headers: Any, rfile: Any) -> bytes:
    """The request body as API Gateway would take it: Content-Length or chunked (not both), <= 10 MB."""
    te = (headers.get("Transfer-Encoding") or "").strip().lower()
    lengths = headers.get_all("Content-Length") or []
    if te and lengths:
        raise HttpReject(400, "send Content-Length or Transfer-Encoding, not both", close=True)
    if te:
        if te != "chunked":
            raise HttpReject(400, f"unsupported Transfer-Encoding {te!r}", close=True)
        return _read_chunked(rfile)
    if not lengths:
        return b""
    if len(set(lengths)) > 1 or not lengths[0].strip().isascii() or not lengths[0].strip().isdigit():
        raise HttpReject(400, f"invalid Content-Length {', '.join(lengths)[:40]!r}", close=True)
    length = int(lengths[0])
    if length > MAX_BODY_BYTES:
        raise HttpReject(413, f"body of {length} bytes; at most {MAX_BODY_BYTES}", close=True)
    body = rfile.read(length)
    if len(body) < length:
        raise HttpReject(400, "body shorter than its Content-Length", close=True)
    return body


def _read_chunked(rfile: Any) -> bytes:
    parts, total = [], 0
    while True:
        line = rfile.readline(1026)
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text) or len(size_text) > 8:
            raise HttpReject(400, "malformed chunked body", close=True)
        size = int(size_text, 16)
        if size == 0:
            while rfile.readline(1026).strip():  # trailers, up to the blank line
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise HttpReject(413, f"body past {MAX_BODY_BYTES} bytes", close=True)
        chunk = rfile.read(size)
        if len(chunk) < size or rfile.read(2) != b"\r\n":
            raise HttpReject(400, "malformed chunked body", close=True)
        parts.append(chunk)


def _proxy_response(
    request: BaseHTTPRequestHandler, invoke: Callable[[dict], dict], gateway: Callable[..., tuple[dict, dict | None]]
) -> dict:
    """The proxy response to the request ``request`` has read the head of: the gateway's or the handler's."""
    try:
        raw = _read_body(request.headers, request.rfile)
        try:
            body = raw.decode("utf-8") if raw else None
        except UnicodeDecodeError:
            raise HttpReject(400, "body is not valid UTF-8") from None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "transfer-encoding"}
        event, response = gateway(request.command, request.path, headers, body)
        return invoke(event) if response is None else response
    except HttpReject as reject:
        request.close_connection = request.close_connection or reject.close
        return _json_payload(reject.status, reject.message)


def _reply_head_and_body(request: Any, response: dict, head: bool, extra: dict[str, str]) -> None:
    """Head and body in one write (``request._headers_buffer``: the stdlib's buffer of the head, set by
    ``send_response``): a small second write on a kept-alive connection waited for the client's
    delayed ACK (~40 ms per request)."""
    payload = (response.get("body") or "").encode()
    request.send_response(int(response["statusCode"]))
    for name, values in (response.get("multiValueHeaders") or {}).items():
        for value in values:
            request.send_header(name, str(value))
    for name, value in {**(response.get("headers") or {}), **extra}.items():
        request.send_header(name, str(value))
    request.send_header("Content-Length", str(len(payload)))
    if request.close_connection:
        request.send_header("Connection", "close")
    request._headers_buffer.append(b"\r\n")  # end_headers(), with the body in the same write
    if not head:
        request._headers_buffer.append(payload)
    request.flush_headers()


def _handler_class(
    invoke: Callable[[dict], dict], gateway: Callable[..., tuple[dict, dict | None]], timing: bool = False
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # with the one-write reply: no wait on the client's delayed ACK

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """The stdlib's own refusals (bad request line, header too long, unknown method): JSON too."""
            if code == 501:  # an unknown method: a client error, as API Gateway answers it
                code, message = 405, f"method {self.command!r} not allowed"
            if self.request_version == "HTTP/0.9":  # an unparsable request line: answer in HTTP/1.1 anyway
                self.request_version = "HTTP/1.1"
            self.close_connection = True
            payload = _json_payload(code, message or self.responses.get(code, ("error",))[0])
            _reply_head_and_body(self, payload, head=False, extra={})

        def _serve(self) -> None:
            clock = ServerTiming() if timing else None
            token = _TIMING.set(clock)
            try:
                response = _proxy_response(self, invoke, gateway)
            finally:
                _TIMING.reset(token)
            extra = {"Server-Timing": clock.header()} if clock is not None else {}
            _reply_head_and_body(self, response, head=self.command == "HEAD", extra=extra)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return None

    return Handler


class TcpGate:
    """A TCP forwarder in front of a local dependency (PostgreSQL, the AWS emulator) that can be shut
    and reopened: ``close()`` refuses new connections and resets the open ones, as a database failover
    or an unreachable endpoint would; ``open()`` serves again on the same port. The dependency itself
    keeps running (and keeps its data)."""

    def __init__(self, upstream: tuple[str, int] | str, port: int = 0) -> None:
        import socket

        self.upstream = upstream  # (host, port) or a unix socket path
        self._socket_mod = socket
        probe = socket.socket()
        probe.bind(("127.0.0.1", port))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: Any = None
        self._conns: set[Any] = set()
        self._lock = threading.Lock()
        self.open()

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    def open(self) -> None:
        if self._listener is not None:
            return
        listener = self._socket_mod.socket()
        listener.setsockopt(self._socket_mod.SOL_SOCKET, self._socket_mod.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name=f"gate-{self.port}").start()

    def close(self) -> None:
        """Stop listening and reset every open connection (the dependency is 'down')."""
        import struct

        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(self._socket_mod.SHUT_RDWR)
            listener.close()
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):  # SO_LINGER 0: close() sends RST, like a dead peer
                conn.setsockopt(self._socket_mod.SOL_SOCKET, self._socket_mod.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                conn.close()

    def _connect_upstream(self) -> Any:
        sock_mod = self._socket_mod
        if isinstance(self.upstream, str):
            up = sock_mod.socket(sock_mod.AF_UNIX, sock_mod.SOCK_STREAM)
            up.connect(self.upstream)
        else:
            up = sock_mod.create_connection(self.upstream, timeout=5)
            up.settimeout(None)
            up.setsockopt(sock_mod.IPPROTO_TCP, sock_mod.TCP_NODELAY, 1)
        return up

    def _accept(self, listener: Any) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()
                continue
            client.setsockopt(self._socket_mod.IPPROTO_TCP, self._socket_mod.TCP_NODELAY, 1)
            with self._lock:
                self._conns.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(self._socket_mod.SHUT_RDWR)
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)


def gate_postgres(url: str) -> tuple[TcpGate, str]:
    """A gate in front of the PostgreSQL at ``url`` (TCP or unix socket); returns it and the URL through it."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    socket_dir = query.pop("host", None)
    port = parts.port or 5432
    upstream: tuple[str, int] | str = (
        f"{socket_dir}/.s.PGSQL.{port}" if socket_dir and socket_dir.startswith("/") else (parts.hostname or "127.0.0.1", port)
    )
    gate = TcpGate(upstream)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{gate.port}" if userinfo else f"127.0.0.1:{gate.port}"
    return gate, urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


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


def _gather(sqs: Any, queue_url: str, batch_size: int, wait_seconds: int, window_seconds: float) -> list[dict]:
    """Up to ``batch_size`` messages, 10 per receive: the first receive long-polls ``wait_seconds``, the
    next ones gather what arrives within the batching window."""
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
        if not got:  # within the window, nothing new: wait a little rather than spin on ReceiveMessage
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
    return messages


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
    messages = _gather(sqs, queue_url, batch_size, wait_seconds, window_seconds)
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
