"""Render one layer's Pulumi program offline, in this process, into a `LayerGraph`.

Run one layer per process (`python -m shared.synth.render`): Pulumi's runtime settings are
process-global and the last `set_mocks` wins, so six programs cannot share an interpreter.
"""

from __future__ import annotations

import argparse
import importlib
import json
import keyword
import os
import runpy
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shared.config import REPO_ROOT, Environment
from shared.contracts import contract
from shared.synth.graph import SECRET_MASK, GraphResource, LayerGraph
from shared.synth.mocks import STACK_REFERENCE, RecordingMonitor, Registration, SynthMocks
from shared.tags import effective_tags

SYNTH_NOW = "2026-01-04T12:00:00+00:00"  # a Sunday: off-peak in every shipped schedule


class RenderError(RuntimeError):
    """A layer program failed to render; the message says which layer, env and why."""


def project_dir(layer: str) -> Path:
    contract(layer)
    return REPO_ROOT / "projects" / layer


def stack_config(layer: str, env: Environment) -> tuple[str, dict[str, str], list[str]]:
    """(project name, flat config as the engine passes it, secret keys) from the project's files."""
    directory = project_dir(layer)
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    stack_file = directory / f"Pulumi.{env.value}.yaml"
    if not stack_file.exists():
        raise RenderError(f"{stack_file.relative_to(REPO_ROOT)} is missing")
    raw = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {}) or {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted by a real backend; offline we cannot decrypt it, so stand in a fake value.
            secret_keys.append(full)
            config[full] = f"synth-secret-{full}"
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return project, config, secret_keys


def layer_config(layer: str, env: Environment | str) -> dict[str, Any]:
    """The layer's own keys (``serverless-infra-<layer>:*``) from its stack file, values decoded."""
    project, config, _ = stack_config(layer, Environment.parse(str(env)))
    values: dict[str, Any] = {}
    for full_key, raw in config.items():
        if full_key.startswith(f"{project}:"):
            try:
                values[full_key.split(":", 1)[1]] = json.loads(raw)
            except json.JSONDecodeError:
                values[full_key.split(":", 1)[1]] = raw
    return values


def _is_taggable(token: str) -> bool:
    """Whether the AWS provider applies default tags to this type (it has a ``tags_all`` output)."""
    if not token.startswith("aws:"):
        return False
    module, _, cls_name = token[len("aws:"):].partition(":")
    package = module.split("/")[0]
    if keyword.iskeyword(package):
        package += "_"  # the Python SDK's name for a module that is a keyword: lambda -> lambda_
    try:
        with warnings.catch_warnings():  # importing a module warns about its deprecated resources
            warnings.simplefilter("ignore", DeprecationWarning)
            cls = getattr(importlib.import_module(f"pulumi_aws.{package}"), cls_name)
    except (ImportError, AttributeError):
        return False
    return hasattr(cls, "tags_all")


def _mask(value: Any) -> tuple[Any, bool]:
    from pulumi.runtime.rpc import is_rpc_secret

    if is_rpc_secret(value):
        return SECRET_MASK, True
    if isinstance(value, dict):
        out, secret = {}, False
        for k, v in value.items():
            out[k], s = _mask(v)
            secret |= s
        return out, secret
    if isinstance(value, list):
        items = [_mask(v) for v in value]
        return [i for i, _ in items], any(s for _, s in items)
    return value, False


def _default_tags(provider: Registration | None) -> dict[str, str] | None:
    if provider is None:
        return None
    raw = provider.inputs.get("defaultTags")
    if isinstance(raw, str):
        raw = json.loads(raw)
    return (raw or {}).get("tags")


def _to_graph_resources(registrations: list[Registration]) -> list[GraphResource]:
    by_urn = {r.urn: r for r in registrations}
    resources = []
    for reg in registrations:
        if reg.type == STACK_REFERENCE:
            continue
        inputs, secret_inputs = {}, []
        for key, value in reg.inputs.items():
            inputs[key], is_secret = _mask(value)
            if is_secret:
                secret_inputs.append(key)
        state = reg.state or {}
        # Outputs a resource declares secret (a generated password's `result`) are masked as the engine would.
        outputs = {k: SECRET_MASK if k in (reg.secret_outputs or []) else _mask(v)[0]
                   for k, v in state.items() if k not in reg.inputs}
        taggable = reg.custom and _is_taggable(reg.type)
        tags = None
        if taggable:
            tags = effective_tags(_default_tags(by_urn.get(reg.provider or "")), inputs.get("tags"))
        physical = None
        for key in ("name", "functionName", "bucket", "identifier", "layerName", "dashboardName"):
            if isinstance(state.get(key), str):
                physical = state[key]
                break
        if physical is None and isinstance(inputs.get("tags"), dict):
            physical = inputs["tags"].get("Name")  # EC2 resources are named by their Name tag
        resources.append(GraphResource(
            urn=reg.urn, type=reg.type, name=reg.name, physical_name=physical, id=reg.id,
            custom=reg.custom, parent=reg.parent, dependencies=sorted(set(reg.dependencies)),
            provider=reg.provider, inputs=inputs, secret_inputs=sorted(secret_inputs),
            outputs=outputs, taggable=taggable, effective_tags=tags, options=dict(reg.options or {}),
        ))
    return resources


def render_layer(
    layer: str,
    env: Environment | str,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    upstream_secrets: Mapping[str, list[str]] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> LayerGraph:
    """Run ``projects/<layer>/__main__.py`` under mocks.

    ``upstream`` maps stack names (``org/project/env``) to their exports. Secret exports come back
    masked: a layer passes SSM parameter names, never secret values, through stack references (a
    consumer may not even share the producer's secrets provider).
    """
    import pulumi
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    environment = Environment.parse(str(env))
    # Programs that depend on the time of day (the provisioned-concurrency floor during peak) render
    # the same graph every time: a fixed off-peak instant (a Sunday noon UTC) unless one is given.
    os.environ.setdefault("SERVERLESS_INFRA_NOW", SYNTH_NOW)
    project, config, secret_keys = stack_config(layer, environment)
    for key, value in (config_overrides or {}).items():
        config[key] = value if isinstance(value, str) else json.dumps(value)
    pulumi.runtime.set_all_config(config, secret_keys)
    monitor = RecordingMonitor(SynthMocks(upstream or {}, upstream_secrets or {}))
    pulumi.runtime.set_mocks(monitor.synth_mocks, project=project, stack=environment.value, preview=False,
                             monitor=monitor)

    directory = project_dir(layer)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    previous_cwd = os.getcwd()
    os.chdir(directory)  # as `pulumi up` runs the program from the project folder
    try:
        def program() -> None:
            runpy.run_path(str(directory / "__main__.py"), run_name="__main__")

        _sync_await(run_pulumi_func(program))
        root = get_root_resource()
        exports: dict[str, Any] = {}
        secret_exports: list[str] = []
        for key, value in dict(getattr(root, "outputs", {})).items():
            output = pulumi.Output.from_input(value)
            exports[key] = _sync_await(output.future())
            if _sync_await(output.is_secret()):
                secret_exports.append(key)
    except Exception as error:  # noqa: BLE001 - re-raised with the layer and env named
        raise RenderError(f"layer {layer!r} ({environment.value}) failed to render: {error}") from error
    finally:
        os.chdir(previous_cwd)

    masked = {k: (SECRET_MASK if k in secret_exports else v) for k, v in exports.items()}
    return LayerGraph(
        layer=layer, env=environment.value, project=project, stack=environment.value,
        resources=_to_graph_resources(monitor.registrations), exports=masked,
        secret_exports=sorted(secret_exports),
        reads=sorted(r.inputs.get("name", r.name) for r in monitor.registrations if r.type == STACK_REFERENCE),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render one layer offline (one layer per process).")
    parser.add_argument("--layer", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--upstream", type=Path, help="JSON file {stacks: {name: exports}, secrets: {name: [keys]}}")
    parser.add_argument("--out", type=Path, required=True, help="directory for <layer>.json and <layer>.exports.json")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a stack config key (value parsed as JSON when it is JSON)")
    args = parser.parse_args(argv)
    upstream = json.loads(args.upstream.read_text()) if args.upstream else {"stacks": {}, "secrets": {}}
    overrides = dict(item.split("=", 1) for item in args.config)
    try:
        graph = render_layer(args.layer, args.env, upstream["stacks"], upstream["secrets"], overrides)
    except Exception as error:  # noqa: BLE001 - the CLI reports, the caller decides
        if os.environ.get("SYNTH_TRACEBACK"):
            import traceback

            traceback.print_exception(error)
        print(str(error), file=sys.stderr)
        return 1
    graph.write(args.out)
    exports_file = args.out / f"{args.layer}.exports.json"
    exports_file.write_text(json.dumps({"exports": graph.exports, "secrets": graph.secret_exports},
                                       indent=2, sort_keys=True, default=str) + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Pulumi's runtime leaves an event loop whose teardown at interpreter exit prints a spurious
    # "Invalid file descriptor" traceback; everything is written, so leave without teardown.
    os._exit(code)
