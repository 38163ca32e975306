"""`invoke deploy|preview|destroy|outputs`: the layers rolled out in order with the real Pulumi CLI."""

from __future__ import annotations

from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.policy import write_pack_config
from ops.pulumi_cli import LayerFailed, PulumiCli, PulumiUnavailable
from ops.queue_guard import check_compute_destroy
from ops.rollout import Action, RolloutRefused, plan
from shared.config import ConfigError, Environment, load_shared_settings
from shared.contracts import LAYER_ORDER, ContractError

LAYERS = ", ".join(LAYER_ORDER)


def _run(action: Action, env: str, layer: str | None, yes: bool, dry_run: bool, cascade: bool = False,
         cli: PulumiCli | None = None, proceed_with_messages: bool = False, sqs: Any = None) -> None:
    cli = cli or PulumiCli()
    try:
        environment = Environment.parse(env, source="--env")
        organization = load_shared_settings(environment).organization
        needs_state = action is Action.DESTROY or (action is Action.DEPLOY and layer is not None)
        deployed: set[str] = set()
        if needs_state and not dry_run:
            cli.preflight()
            status = plan(Action.OUTPUTS, environment, organization)
            deployed = cli.deployed_layers(status.steps)
        elif needs_state:
            deployed = set(LAYER_ORDER)  # dry run: plan as if everything were deployed, say so
        the_plan = plan(action, environment, organization, layer, deployed, cascade, yes)
        destroys_compute = action is Action.DESTROY and any(step.layer == "compute" for step in the_plan.steps)
        if dry_run:
            print(the_plan.describe())
            if destroys_compute:
                print("  (a real run first reads the orders queue and DLQ and refuses while they hold messages, "
                      "unless --proceed-with-messages)")
            if needs_state:
                print("  (dry run: planned as if every layer were deployed; a real run reads stack state)")
            return
        if not needs_state:
            cli.preflight()
        if action in (Action.DEPLOY, Action.PREVIEW):
            write_pack_config(environment)  # what --policy-pack-config of each step reads
        if destroys_compute:
            note = check_compute_destroy(environment, sqs or _sqs_client(), proceed_with_messages)
            if note:
                the_plan.notes.append(note)
        print(the_plan.describe())
        cli.execute(the_plan)
    except (ConfigError, ContractError, RolloutRefused, PulumiUnavailable, LayerFailed) as error:
        raise Exit(f"{action.value}: {error}", code=1) from None


def _sqs_client() -> Any:
    import boto3

    from shared.config import REGION

    return boto3.client("sqs", region_name=REGION)


COMMON = {"env": "dev, staging or prod", "layer": f"one layer: {LAYERS}", "dry-run": "print the exact plan, run nothing"}


@task(help={**COMMON, "yes": "do not ask for confirmation (pulumi up --yes --skip-preview)"})
def deploy(c, env, layer=None, yes=False, dry_run=False):
    """Deploy every layer in order (network -> observability), or one layer whose upstreams are deployed."""
    _run(Action.DEPLOY, env, layer, yes, dry_run)


@task(help=COMMON)
def preview(c, env, layer=None, dry_run=False):
    """Preview every layer (or one) with `pulumi preview --diff`."""
    _run(Action.PREVIEW, env, layer, False, dry_run)


@task(help={**COMMON, "yes": "do not ask for confirmation",
            "cascade": "also destroy the deployed layers that read this one (reverse order)",
            "proceed-with-messages": "destroy compute even while the orders queue or DLQ holds messages"})
def destroy(c, env, layer=None, yes=False, dry_run=False, cascade=False, proceed_with_messages=False):
    """Destroy one layer (reverse order). network/security/data refuse while dependents are deployed;
    compute refuses while its queues hold messages (they are retained, but nothing consumes them)."""
    _run(Action.DESTROY, env, layer, yes, dry_run, cascade, proceed_with_messages=proceed_with_messages)


@task(help=COMMON)
def outputs(c, env, layer=None, dry_run=False):
    """Print each layer's stack outputs as JSON."""
    _run(Action.OUTPUTS, env, layer, False, dry_run)
