"""docs/config.md and docs/outputs.md are generated from the code and kept current."""

from __future__ import annotations

import pytest
from pydantic import Field

from ops.reference_docs import generated_documents, key_docs, settings_model
from shared.config import Settings
from shared.contracts import CONTRACTS, LAYER_ORDER

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path", list(generated_documents()), ids=lambda p: p.name)
def test_committed_reference_is_current(path) -> None:
    assert path.read_text() == generated_documents()[path], f"{path.name} is stale: run `invoke docs`"


def test_every_settings_key_and_every_output_is_in_the_reference() -> None:
    docs = {path.name: text for path, text in generated_documents().items()}
    for layer in LAYER_ORDER:
        model = settings_model(layer)
        for doc in key_docs(model) if model else ():
            assert f"| `{doc.key}` |" in docs["config.md"]
        for key in CONTRACTS[layer].publishes:
            assert f"| `{key}` |" in docs["outputs.md"]


def test_every_settings_key_says_what_it_is() -> None:
    undocumented = [
        f"{layer}: {doc.key}"
        for layer in LAYER_ORDER
        if (model := settings_model(layer))
        for doc in key_docs(model)
        if not doc.description
    ]
    assert not undocumented, "add description= to these fields: " + ", ".join(undocumented)


class _Inner(Settings):
    depth: int = Field(3, ge=1, le=9, description="how deep")


class _Outer(Settings):
    name_prefix: str = Field(description="a prefix", pattern=r"^[a-z]+$")
    inner: _Inner | None = None
    per_function: dict[str, _Inner] = Field(default_factory=dict, description="per function")


def test_nested_models_flatten_into_dotted_camel_case_keys_with_bounds_and_defaults() -> None:
    docs = {doc.key: doc for doc in key_docs(_Outer)}
    assert list(docs) == ["namePrefix", "inner", "inner.depth", "perFunction", "perFunction.<name>.depth"]
    assert docs["namePrefix"].default == "required" and "matches `^[a-z]+$`" in docs["namePrefix"].bounds
    assert docs["inner.depth"].bounds == ">= `1`, <= `9`" and docs["inner.depth"].default == "`3`"
