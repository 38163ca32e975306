"""Cold start as Lambda runs it: ``invoke bench --only cold`` (part of ``invoke bench``).

Each run is one new execution environment, reproduced as closely as this machine allows:

* a fresh interpreter (``-I -S``: nothing of the repository or its virtualenv on ``sys.path``);
* the artifacts ``invoke build --host`` makes (the same trim, strip and bytecode steps as the Lambda
  build, for this machine's platform and interpreter so they import here), unpacked into a
  ``var/task`` (function) and ``opt/python`` (layer) of a sandbox, made read-only, bytecode writes off;
  ``--variant source`` unpacks them without their ``__pycache__``: what Lambda gets when the build
  could not compile with python3.12;
* boto3/botocore from the virtualenv copied into ``var/runtime``, with the bytecode pip compiled for
  them: the Lambda runtime provides them, installed (and compiled) in its image;
* the function's environment variables from the synthesized compute graph (``build/synth/<env>``),
  plus what Lambda itself sets (``LAMBDA_TASK_ROOT``, ``_X_AMZN_TRACE_ID``, ``AWS_XRAY_DAEMON_ADDRESS``
  pointing at a local UDP sink that counts the trace documents, ...), and the AWS endpoint pointed at
  moto's server; tracing is on because the graph says ``tracingConfig.mode = Active``;
* then the first invocation: ``POST /orders`` through the api handler (the SSM config load from moto,
  the first PostgreSQL connection to an embedded server, IAM token signing when the graph sets
  ``DATABASE_IAM_AUTH``), or a 500-record SQS batch through the worker.

``init`` is the handler module's import (Lambda's INIT phase for our code); ``first`` is the first
invocation's duration; the sum is what the first caller of a new environment waits for, less the
runtime's own start, which ``process`` (the whole child process, interpreter start included) adds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.coldstart_stack import Stack, local_stack

REPO = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).with_name("coldstart_child.py")
# What the python runtime provides (ops/build.py RUNTIME_PROVIDED), as import names.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
FUNCTIONS = {"api": "app.handlers.api.lambda_handler", "worker": "app.handlers.worker.lambda_handler"}
ORDER = {"customer_id": "coldstart", "items": [{"sku": "book", "quantity": 2, "unit_price": "12.50"}]}


@dataclass
class Sandbox:
    """A read-only ``/var/task``, ``/opt/python`` and ``/var/runtime`` under a temporary folder."""

    root: Path
    task: Path = field(init=False)
    layer: Path = field(init=False)
    runtime: Path = field(init=False)

    def __post_init__(self) -> None:
        self.task = self.root / "var" / "task"
        self.layer = self.root / "opt" / "python"
        self.runtime = self.root / "var" / "runtime"

    @property
    def path(self) -> str:
        # The python runtime's search order: the function (/var/task), the layers (/opt/python, see
        # https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths), then
        # the runtime's own packages, boto3 among them
        # (https://docs.aws.amazon.com/lambda/latest/dg/python-package.html#python-package-searchpath).
        return os.pathsep.join(map(str, (self.task, self.layer, self.runtime)))

    def pyc_count(self) -> int:
        return sum(1 for _ in self.root.rglob("*.pyc"))


def unpack(archive: Path, destination: Path, strip_prefix: str = "", with_bytecode: bool = True) -> int:
    """Extract ``archive`` (optionally without its ``__pycache__``); the number of files."""
    count = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = info.filename[len(strip_prefix) :] if info.filename.startswith(strip_prefix) else info.filename
            if not with_bytecode and ("__pycache__/" in name or name.endswith(".pyc")):
                continue
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            count += 1
    return count


def copy_runtime_packages(destination: Path) -> None:
    """boto3 and its dependencies from this virtualenv, with their pip-compiled bytecode (mtimes kept)."""
    import boto3

    site = Path(boto3.__file__).resolve().parents[1]
    destination.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        source = site / name
        if source.is_dir():
            shutil.copytree(source, destination / name, symlinks=False)
        else:
            shutil.copy2(source, destination / name)
            cached = site / "__pycache__"
            for pyc in cached.glob(f"{source.stem}.*.pyc"):
                (destination / "__pycache__").mkdir(exist_ok=True)
                shutil.copy2(pyc, destination / "__pycache__" / pyc.name)


def set_read_only(root: Path, read_only: bool = True) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555 if read_only else 0o755)
        else:
            path.chmod(0o444 if read_only else 0o644)


@contextmanager
def sandbox(build_dir: Path, with_bytecode: bool) -> Iterator[Sandbox]:
    root = Path(tempfile.mkdtemp(prefix="coldstart-"))
    box = Sandbox(root)
    try:
        unpack(build_dir / "app.zip", box.task, with_bytecode=with_bytecode)
        unpack(build_dir / "dependencies-layer.zip", box.layer, "python/", with_bytecode=with_bytecode)
        copy_runtime_packages(box.runtime)
        set_read_only(root)
        yield box
    finally:
        set_read_only(root, read_only=False)
        shutil.rmtree(root, ignore_errors=True)


def function_settings(env: str, function: str) -> dict[str, Any]:
    """Settings of ``function`` from ``build/synth/<env>/compute.json`` (rendered first when missing)."""
    from shared.synth.graph import LayerGraph

    path = REPO / "build" / "synth" / env / "compute.json"
    if not path.exists():
        from ops.build import artifacts_present, run_build
        from shared.synth.runner import synth_env

        if not artifacts_present():  # compute renders from the Lambda build's manifest (a fresh clone has none)
            run_build(echo=lambda line: None)
        synth_env(env, ["compute"])
    return settings_from_graph(LayerGraph.load(path), env, function)


def settings_from_graph(graph: Any, env: str, function: str) -> dict[str, Any]:
    """Environment variables, memory, timeout and provisioned floor of ``function`` in a compute graph."""
    resource = graph.one("aws:lambda/function:Function", f"compute-{function}-function")
    if resource.input("tracingConfig.mode") != "Active":
        raise RuntimeError(f"{function}: the graph has tracing {resource.input('tracingConfig.mode')!r}, not Active")
    name = resource.input("name") or f"serverless-infra-{env}-{function}"
    floors = [
        int(t.input("minCapacity", 0))
        for t in graph.of_type("aws:appautoscaling/target:Target")
        if str(t.input("resourceId", "")).startswith(f"function:{name}:")
    ]
    return {
        "variables": dict(resource.input("environment.variables") or {}),
        "provisioned_floor": max(floors, default=0),
        "memory_mb": int(resource.input("memorySize")),
        "timeout_s": int(resource.input("timeout")),
        # Lambda's default is x86_64 (https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html)
        "architecture": (resource.input("architectures") or ["x86_64"])[0],
        "function_name": name,
    }


def api_first_event() -> dict:
    from app.local import api_event

    headers = {"Content-Type": "application/json", "Idempotency-Key": f"coldstart-{uuid.uuid4()}"}
    return api_event("POST", "/orders", headers=headers, body=json.dumps(ORDER))


def worker_first_event(records: int = 500) -> dict:
    from app.bench import worker_event

    return worker_event(ORDER, records)


FIRST_EVENTS: dict[str, Callable[[], dict]] = {"api": api_first_event, "worker": worker_first_event}


def check_response(function: str, response: Any) -> None:
    if function == "api" and not (isinstance(response, dict) and response.get("statusCode") == 201):
        raise RuntimeError(f"api: POST /orders answered {str(response)[:500]}")
    if function == "worker" and not (isinstance(response, dict) and response.get("batchItemFailures") == []):
        raise RuntimeError(f"worker: the first batch reported failures: {str(response)[:500]}")


def trace_header() -> str:
    """An ``_X_AMZN_TRACE_ID`` as Lambda sets it for a sampled invocation."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


def child_env(settings: dict[str, Any], box: Sandbox, handler: str, endpoint: str, xray: str, queue_url: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        **settings["variables"],
        # Set by Lambda in every execution environment
        # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": settings["function_name"],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(settings["memory_mb"]),
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": str(box.task),
        "LAMBDA_RUNTIME_DIR": str(box.runtime),
        "_HANDLER": handler,
        "AWS_XRAY_DAEMON_ADDRESS": xray,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "_X_AMZN_TRACE_ID": trace_header(),
        "AWS_ACCESS_KEY_ID": "coldstart",
        "AWS_SECRET_ACCESS_KEY": "coldstart",
        "AWS_SESSION_TOKEN": "coldstart",
        # Stand-ins: every AWS API call goes to moto's server on loopback.
        "AWS_ENDPOINT_URL": endpoint,
        "COLDSTART_LAYER_ROOT": str(box.layer),
    }
    if "ORDERS_QUEUE_URL" in env:
        env["ORDERS_QUEUE_URL"] = queue_url
    if env.get("DATABASE_IAM_AUTH") == "true":
        # The embedded PostgreSQL is built without TLS, and app.db refuses IAM auth without it (as RDS
        # does). The connection goes without the token; the child signs one right after the first
        # request, times it and adds it to the first request (COLDSTART_SIGN_TOKEN).
        env["DATABASE_IAM_AUTH"] = "false"
        env["COLDSTART_SIGN_TOKEN"] = "true"
    return env


def run_once(
    function: str, settings: dict[str, Any], box: Sandbox, stack: Stack, work: Path, flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One cold start of ``function`` in a fresh interpreter (``flags``: e.g. ``-X importtime``); its figures."""
    handler = FUNCTIONS[function]
    event_file, out_file, log_file = work / f"{function}-event.json", work / f"{function}-out.json", work / "stdout.log"
    event_file.write_text(json.dumps(FIRST_EVENTS[function]()))
    env = child_env(settings, box, handler, stack.endpoint, stack.xray.address, stack.queue_url)
    before = stack.xray.received
    command = [sys.executable, "-I", "-S", *flags, str(CHILD), "--path", box.path, "--handler", handler]
    command += ["--event", str(event_file), "--out", str(out_file), "--memory", str(settings["memory_mb"])]
    command += ["--timeout", str(settings["timeout_s"])]
    start = time.perf_counter()
    with log_file.open("wb") as log:
        proc = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False, timeout=120)
    process_ms = (time.perf_counter() - start) * 1000
    if proc.returncode != 0 or not out_file.exists():
        raise RuntimeError(f"{function}: the cold start failed:\n{log_file.read_text()[-3000:]}")
    result = json.loads(out_file.read_text())
    try:
        check_response(function, result.pop("response"))
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\nits output:\n{log_file.read_text()[-3000:]}") from None
    time.sleep(0.05)  # let the sink take the last UDP datagrams
    result.update(process_ms=process_ms, trace_documents=stack.xray.received - before)
    return result


VARIANTS = {
    "source": "artifacts without bytecode (what Lambda gets when python3.12 is not at build time)",
    "bytecode": "artifacts with unchecked-hash bytecode from the target's interpreter",
}


def measure(
    env: str,
    runs: int,
    variants: list[str],
    functions: list[str],
    echo=print,
    builds: dict[str, tuple[Path, bool]] | None = None,
) -> dict[str, Any]:
    """``{variant: {function: [run figures...]}}``: runs interleaved, so load on the machine hits all alike.

    ``builds`` maps a variant to (artifacts folder, with bytecode); by default ``source`` and ``bytecode``
    are the host build (``invoke build --host``, made here) without and with its bytecode.
    """
    from ops.build import HOST_OUT_DIR, host_target, run_build

    if builds is None:
        echo("building the host variant of the artifacts (invoke build --host)")
        run_build(target=host_target(), echo=lambda line: None)
        builds = {"source": (HOST_OUT_DIR, False), "bytecode": (HOST_OUT_DIR, True)}
    settings = {fn: function_settings(env, fn) for fn in functions}
    results: dict[str, dict[str, list[dict]]] = {v: {fn: [] for fn in functions} for v in variants}
    with ExitStack() as stack_of:
        stack = stack_of.enter_context(local_stack(env))
        work = Path(stack_of.enter_context(tempfile.TemporaryDirectory(prefix="coldstart-work-")))
        boxes = {v: stack_of.enter_context(sandbox(*builds[v])) for v in variants}
        pycs = {v: box.pyc_count() for v, box in boxes.items()}
        for i in range(runs):
            for variant in variants:
                for fn in functions:
                    results[variant][fn].append(run_once(fn, settings[fn], boxes[variant], stack, work))
            echo(f"  round {i + 1}/{runs} done")
        for variant, box in boxes.items():  # nothing may have written bytecode into the read-only artifacts
            if box.pyc_count() != pycs[variant]:
                raise RuntimeError(f"{variant}: bytecode was written into the read-only artifacts")
    shown = {fn: {k: v for k, v in s.items() if k != "variables"} for fn, s in settings.items()}
    return {"env": env, "runs": runs, "settings": shown, "results": results}
