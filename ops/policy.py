"""`invoke policy`: the CrossGuard pack in policy/ over the synthesized graphs (no AWS account needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

from shared.accounts import load_usages
from shared.config import REPO_ROOT, ConfigError, Environment
from shared.synth.crossguard import Report, evaluate
from shared.synth.render import layer_config
from shared.synth.runner import SynthError, synth_env

CONFIG_DIR = REPO_ROOT / "build" / "policy"


def pack_config(env: Environment) -> dict[str, dict[str, Any]]:
    """The pack's per-env config, from the files the layers read: the network stack file's egress mode,
    the env's account quota (config/<env>.yaml) and what the other envs in that account reserve."""
    network = layer_config("network", env)
    usages = load_usages()
    mine = next(u for u in usages if u.env is env)
    elsewhere = sum(u.reserved_total for u in usages if u.account_id == mine.account_id and u.env is not env)
    return {
        "network-no-internet-path": {"allowInternetEgress": network.get("egressMode", "none") == "nat"},
        "reserved-concurrency-quota": {"accountConcurrencyLimit": mine.quota, "reservedElsewhere": elsewhere},
    }


def write_pack_config(env: Environment, directory: Path = CONFIG_DIR) -> Path:
    """``build/policy/<env>.json`` for `pulumi preview --policy-pack policy --policy-pack-config <file>`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{env.value}.json"
    path.write_text(json.dumps(pack_config(env), indent=2, sort_keys=True) + "\n")
    return path


def print_report(report: Report, env: str, layers: list[str]) -> None:
    for layer in layers:
        shown = [f for f in report.findings if f.layer == layer and f.waived_by is None]
        waived = sum(1 for f in report.waived if f.layer == layer)
        status = f"{len(shown)} finding(s)" if shown else "ok"
        print(f"{layer:<14} {status}" + (f" ({waived} waived)" if waived else ""))
        for finding in shown:
            print(f"    {finding}")
    used = report.used_exceptions()
    if used:
        print(f"exceptions in force for {env} ({len(used)}, policy/exceptions.yaml):")
        for exception in used:
            names = sorted({f.resource for f in report.waived if f.waived_by is exception})
            print(f"  {exception.policy}: {', '.join(names)}\n      reason: {exception.reason}")


@task(help={"env": "dev, staging or prod",
            "write-config": "also write build/policy/<env>.json for `pulumi preview --policy-pack policy`"})
def policy(c, env="prod", write_config=False):
    """Synthesize every layer and run the CrossGuard pack (policy/) on the graphs, as `pulumi preview` would."""
    try:
        environment = Environment.parse(env, source="--env")
        results = synth_env(environment)
        report = evaluate([r.graph for r in results], pack_config(environment))
    except (SynthError, ConfigError, ValueError) as error:
        raise Exit(str(error), code=1) from None
    print_report(report, env, [r.graph.layer for r in results])
    if write_config:
        print(f"pack config: {write_pack_config(environment).relative_to(REPO_ROOT)}")
    stale = report.unused_exceptions(env)
    problems = [f"{len(report.blocking)} mandatory violation(s)"] if report.blocking else []
    problems += [f"exception for {e.policy} {list(e.resources)} matches nothing in {env}: remove it" for e in stale]
    if problems:
        raise Exit(f"policy: {env} fails: " + "; ".join(problems), code=1)
    print(f"policy: {env} passes ({len(report.advisories)} advisory, {len(report.used_exceptions())} exception(s))")
