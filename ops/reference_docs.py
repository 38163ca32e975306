"""Reference documents generated from the code: every configuration key and every layer output.

`docs/config.md` is built from the settings models (keys, types, bounds, defaults, the value each
env's file sets, descriptions) and `docs/outputs.md` from the layer contract. A hand-kept reference
drifts (the first audit found about 20 keys missing from it); a generated one cannot, and
`tests/ops/test_reference_docs.py` fails when the committed files are stale.

Which model reads which layer's keys is found in each `projects/<layer>/__main__.py` (the class
passed to ``ctx.layer_settings``), so a new layer is documented without a registry to update.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.config import REPO_ROOT, Environment, SharedSettings
from shared.contracts import CONTRACTS, LAYER_ORDER, project_name

CONFIG_DOC = REPO_ROOT / "docs" / "config.md"
OUTPUTS_DOC = REPO_ROOT / "docs" / "outputs.md"
ENVS = tuple(e.value for e in Environment)
_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "min length"),
           ("max_length", "max length"), ("pattern", "matches"))


@dataclass(frozen=True)
class KeyDoc:
    key: str  # dotted camelCase path, e.g. provisionedConcurrency.peak.minCapacity
    type: str
    bounds: str
    default: str
    description: str


def settings_model(layer: str) -> type[BaseModel] | None:
    """The class `projects/<layer>/__main__.py` passes to ``ctx.layer_settings``, or None."""
    tree = ast.parse((REPO_ROOT / "projects" / layer / "__main__.py").read_text())
    imports = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "layer_settings"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            name = node.args[0].id
            return getattr(importlib.import_module(imports[name]), name)
    return None


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # an aws_limits type inside a union (``RdsInstanceClass | None``)
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(repr(member.value) for member in annotation)
    return getattr(annotation, "__name__", str(annotation))


def _metadata(field: FieldInfo) -> list[Any]:
    """The field's constraints, with those of an annotated type inside a union (``RdsInstanceClass | None``)."""
    nested = [meta for member in typing.get_args(field.annotation)
              if typing.get_origin(member) is typing.Annotated for meta in typing.get_args(member)[1:]]
    flat = [inner for meta in nested for inner in (meta.metadata if isinstance(meta, FieldInfo) else [meta])]
    return [*field.metadata, *flat]


def _bounds(field: FieldInfo) -> str:
    found = []
    for meta in _metadata(field):
        for attr, word in _BOUNDS:
            value = getattr(meta, attr, None)
            if value is not None:
                found.append(f"{word} `{value}`")
    return ", ".join(found)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see keys below)"
        return f"`{_plain(value)}`"
    if field.default is PydanticUndefined:
        return "required"
    return f"`{_plain(field.default)}`"


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    return getattr(value, "value", value)


def _nested_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """('', Model) for a model field (or Model | None), ('<name>.', Model) for dict[str, Model]."""
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    candidates = typing.get_args(annotation) if is_union else (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return "", candidate
        if typing.get_origin(candidate) is dict:
            value_type = typing.get_args(candidate)[1]
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                return "<name>.", value_type
    return None


def key_docs(model: type[BaseModel], prefix: str = "") -> Iterator[KeyDoc]:
    """Every key of ``model``, nested models flattened into dotted paths, in declaration order."""
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or to_camel(name))
        nested = _nested_model(field.annotation)
        # A nested model's own docstring describes the key that holds it, unless the field says more.
        description = field.description or (inspect.getdoc(nested[1]) or "" if nested else "")
        yield KeyDoc(key, _type_name(field.annotation), _bounds(field), _default(field),
                     " ".join(description.split()).replace("|", "\\|"))
        if nested:
            infix, inner = nested
            yield from key_docs(inner, f"{key}.{infix}")


def _lookup(values: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key path; '<name>' segments list each entry's value."""
    head, _, rest = dotted.partition(".")
    if head == "<name>":
        found = {name: _lookup(entry, rest) for name, entry in values.items() if isinstance(entry, Mapping)}
        found = {name: value for name, value in found.items() if value is not None}
        return found or None
    if not isinstance(values, Mapping) or head not in values:
        return None  # an optional object left null in a stack file has no keys below it
    return _lookup(values[head], rest) if rest else values[head]


def layer_values(layer: str, env: str) -> dict[str, Any]:
    """The layer's own keys as `projects/<layer>/Pulumi.<env>.yaml` sets them (namespace stripped)."""
    stack_file = REPO_ROOT / "projects" / layer / f"Pulumi.{env}.yaml"
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    namespace = f"{project_name(layer)}:"
    return {key[len(namespace):]: value for key, value in config.items() if key.startswith(namespace)}


def shared_values(env: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "config" / f"{env}.yaml").read_text()) or {}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return "`" + yaml.safe_dump(value, default_flow_style=True, width=10_000).strip() + "`"
    return f"`{value}`"


def _table(model: type[BaseModel], values: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = ["| key | type | bounds | default | " + " | ".join(ENVS) + " | description |",
             "|---|---|---|---|" + "---|" * len(ENVS) + "---|"]
    for doc in key_docs(model):
        per_env = " | ".join(_cell(_lookup(values[env], doc.key)) for env in ENVS)
        lines.append(f"| `{doc.key}` | {doc.type} | {doc.bounds} | {doc.default} | {per_env} | {doc.description} |")
    return lines


HEADER = """\
# Configuration reference

<!-- Generated by `invoke docs` from the settings models (ops/reference_docs.py): do not edit by hand. -->

Two sources, validated once by typed models; an unknown key, a value AWS would refuse or an
out-of-range number fails before anything is created, naming the file, the key and the value.
Cross-field rules (a floor above its ceiling, what prod must have) live in the models' validators
and are not repeated here. Secrets are never written as literals: they are generated with
pulumi-random or set with `pulumi config set --secret` (encrypted by the backend's secrets provider).
Every stack file also sets `aws:region: us-east-1`; any other value is refused.
"""


def config_reference() -> str:
    lines = [HEADER, "## `config/<env>.yaml`: every layer of the env (`SharedSettings`, shared/config.py)", ""]
    lines += _table(SharedSettings, {env: shared_values(env) for env in ENVS})
    for layer in LAYER_ORDER:
        model = settings_model(layer)
        lines += ["", f"## `projects/{layer}/Pulumi.<env>.yaml`: namespace `{project_name(layer)}:`", ""]
        if model is None:
            lines.append("This layer reads no keys of its own.")
            continue
        lines.append(f"Model: `{model.__module__}.{model.__qualname__}`.")
        lines.append("")
        lines += _table(model, {env: layer_values(layer, env) for env in ENVS})
    return "\n".join(lines) + "\n"


def outputs_reference() -> str:
    lines = [
        "# Layer outputs (the contract)",
        "",
        "<!-- Generated by `invoke docs` from shared/contracts.py: do not edit by hand. -->",
        "",
        "Each layer publishes exactly these stack outputs; a downstream layer reads them through a",
        "StackReference named `{organization}/serverless-infra-<layer>/<env>`. Renaming or removing one",
        "is a breaking change for every reader.",
    ]
    for layer in LAYER_ORDER:
        contract = CONTRACTS[layer]
        readers = [c.layer for c in CONTRACTS.values() if layer in c.reads]
        lines += [
            "",
            f"## {layer} (`{project_name(layer)}`)",
            "",
            f"Reads: {', '.join(contract.reads) or 'nothing'}. Read by: {', '.join(readers) or 'nothing'}.",
            "",
        ]
        if not contract.publishes:
            lines.append("Publishes nothing.")
            continue
        lines += ["| output | what it is |", "|---|---|"]
        lines += [f"| `{key}` | {what} |" for key, what in contract.publishes.items()]
    return "\n".join(lines) + "\n"


def generated_documents() -> dict[Path, str]:
    return {CONFIG_DOC: config_reference(), OUTPUTS_DOC: outputs_reference()}
