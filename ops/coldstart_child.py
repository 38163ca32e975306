"""One cold start, run by ``ops/coldstart.py`` in a fresh interpreter: INIT (import the handler), then one invoke.

Standard library only, and nothing of the repository on ``sys.path``: it sees what a Lambda execution
environment sees (the function in ``/var/task``, the layer in ``/opt/python``, the runtime's boto3),
given as ``--path``. It writes its figures as JSON to ``--out`` (stdout belongs to the handler's logs).

Also counts the modules compiled from source during the run, by where they live: with bytecode shipped
the function's and the layer's count must be zero.
"""

from __future__ import annotations

import argparse
import importlib
import importlib._bootstrap_external as bootstrap_external  # the frozen loader the import system uses
import json
import os
import sys
import time
import uuid

compiled: list[str] = []
_source_to_code = bootstrap_external.SourceLoader.source_to_code


def _counting_source_to_code(self, data, path, *, _optimize=-1):  # noqa: ANN001, ANN202
    compiled.append(str(path))
    # typeshed does not know the private keyword CPython passes through.
    return _source_to_code(self, data, path, _optimize=_optimize)  # pyright: ignore[reportCallIssue]


class Context:
    """The attributes of Lambda's context object the handlers and Powertools read."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}:live"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "coldstart"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True, help="os.pathsep-separated sys.path entries, in order")
    parser.add_argument("--handler", required=True, help="module.function, as Lambda's Handler setting")
    parser.add_argument("--event", required=True, help="file holding the first event (JSON)")
    parser.add_argument("--out", required=True, help="file to write the figures to (JSON)")
    parser.add_argument("--memory", type=int, default=512)
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))  # run with -I -S: only the stdlib is on sys.path
    sys.path[:] = [*args.path.split(os.pathsep), *(p for p in sys.path if p and p != here)]
    sys.dont_write_bytecode = True  # /var/task and /opt are read-only on Lambda
    bootstrap_external.SourceLoader.source_to_code = _counting_source_to_code  # type: ignore[method-assign]
    with open(args.event) as handle:  # the runtime has the event before it calls the handler
        event = json.load(handle)

    module_name, _, function_name = args.handler.rpartition(".")
    start, cpu = time.perf_counter(), time.process_time()
    handler = getattr(importlib.import_module(module_name), function_name)
    init_ms, init_cpu_ms = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    compiled_at_init = len(compiled)

    context = Context(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"), args.memory, args.timeout)
    start, cpu = time.perf_counter(), time.process_time()
    response = handler(event, context)
    if os.environ.get("COLDSTART_SIGN_TOKEN") == "true":  # the IAM token the connection would have signed
        importlib.import_module("app.iam_auth").auth_token("proxy.example", 5432, "app")
    first_ms, first_cpu_ms = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000

    roots = {"function": os.environ.get("LAMBDA_TASK_ROOT", ""), "layer": os.environ.get("COLDSTART_LAYER_ROOT", "")}
    by_root = {name: sum(1 for p in compiled if root and p.startswith(root)) for name, root in roots.items()}
    result = {
        "init_ms": init_ms,
        "first_ms": first_ms,
        # CPU time of this process: the machine's other load inflates it much less than wall time (and it
        # leaves out the time spent waiting for SSM, SQS and PostgreSQL).
        "init_cpu_ms": init_cpu_ms,
        "first_cpu_ms": first_cpu_ms,
        "compiled_at_init": compiled_at_init,
        "compiled": len(compiled),
        "compiled_by_root": by_root,
        "response": response,
    }
    with open(args.out, "w") as handle:
        json.dump(result, handle, default=str)


if __name__ == "__main__":
    main()
