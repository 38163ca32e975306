"""Fixtures for the infrastructure tests: the offline synth, rendered once per env per session.

`synth(env)` returns {layer: LayerGraph} for all six layers, rendered in deploy order exactly as
`invoke synth` does. `render_variant(layer, env, config)` renders one layer again with stack
config overrides, fed by the same upstream exports (e.g. the network layer in nat mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.config import Environment
from shared.synth.graph import LayerGraph
from shared.synth.runner import LayerResult, render_in_subprocess, synth_env, upstream_of

ENVS = [e.value for e in Environment]


@pytest.fixture(scope="session")
def lambda_artifacts() -> None:
    """The compute program deploys build/lambda/*.zip: build them once if a fresh clone has none."""
    from ops.build import artifacts_present, run_build

    if not artifacts_present():
        run_build(echo=lambda _line: None)


@pytest.fixture(scope="session")
def synth_results(
    tmp_path_factory: pytest.TempPathFactory, lambda_artifacts: None
) -> Callable[[str], list[LayerResult]]:
    cache: dict[str, list[LayerResult]] = {}

    def get(env: str) -> list[LayerResult]:
        if env not in cache:
            cache[env] = synth_env(env, out_root=tmp_path_factory.mktemp(f"synth-{env}"))
        return cache[env]

    return get


@pytest.fixture(scope="session")
def synth(synth_results: Callable[[str], list[LayerResult]]) -> Callable[[str], dict[str, LayerGraph]]:
    return lambda env: {r.graph.layer: r.graph for r in synth_results(env)}


@pytest.fixture(scope="session")
def render_variant(
    synth_results: Callable[[str], list[LayerResult]], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., LayerGraph]:
    def render(layer: str, env: str, config: dict[str, Any]) -> LayerGraph:
        upstream_results = [r for r in synth_results(env) if r.graph.layer != layer]
        out = tmp_path_factory.mktemp(f"variant-{layer}-{env}")
        return render_in_subprocess(layer, Environment(env), upstream_of(upstream_results), out, config).graph

    return render


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param
