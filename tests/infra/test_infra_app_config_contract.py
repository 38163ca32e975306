"""Infrastructure -> app config, across the boundary: the app builds its settings from what each env's
synthesized graph writes (SSM parameters of the security and data layers, environment variables of
the compute layer), and every parameter the infrastructure writes is one the app reads.

SSM values are SecureStrings, masked in the graph; each value is rebuilt the way the component built
it: the api/cache values from the env's stack settings through the component's own ``parameter_specs``,
the database values from the data layer's exports.
"""

from __future__ import annotations

import pytest

from app import contract
from app.config import KNOWN_KEYS, Pointers, build_config
from shared.components.data.settings import DataSettings
from shared.components.security.parameters import parameter_specs
from shared.components.security.settings import ApiParameters, CacheParameters, SecuritySettings
from shared.synth.render import layer_config

from .conftest import ENVS

pytestmark = pytest.mark.synth
PARAMETER = "aws:ssm/parameter:Parameter"
FUNCTION = "aws:lambda/function:Function"


def written_parameters(system: dict, env: str) -> dict[str, str]:
    """``{"category/key": value}`` of every parameter the env's graph writes."""
    security = SecuritySettings.model_validate(layer_config("security", env))
    by_key = {f"{s.category}/{s.key}": str(s.value) for s in parameter_specs(security, "signing-key")}
    data = system["data"].exports
    data_settings = DataSettings.model_validate(layer_config("data", env))
    by_key |= {
        "database/host": data["db_proxy_endpoint"],
        "database/reader_host": data["db_reader_endpoint"],
        "database/port": str(data["db_port"]),
        "database/name": data["db_name"],
        "database/username": data["db_username"],
        "database/replica_max_lag_seconds": str(data_settings.replica_max_lag_seconds),
        "database/reader_username": data["db_reader_username"],
        "database/reader_connection_limit": str(data_settings.reader_connection_limit),
    }
    root = f"/{contract.PARAMETER_ROOT}/{env}/"
    names = [p.inputs["name"] for layer in ("security", "data") for p in system[layer].of_type(PARAMETER)]
    assert all(n.startswith(root) for n in names), names
    relative = {n.removeprefix(root) for n in names}
    assert relative <= set(by_key), f"parameters written that this test cannot value: {relative - set(by_key)}"
    return {k: v for k, v in by_key.items() if k in relative}


@pytest.mark.parametrize("env", ENVS)
def test_app_config_builds_from_what_the_graph_writes(synth, env: str) -> None:
    system = synth(env)
    data = system["data"].exports
    raw = written_parameters(system, env)
    # Every key the infrastructure writes is one the app reads (the signing key is the API's own secret,
    # reserved for signed tokens: see docs/decisions.md).
    assert set(raw) - {"api/signing_key"} <= KNOWN_KEYS
    assert {f"database/{k}" for k in contract.REQUIRED_DATABASE_KEYS} <= set(raw)

    for function in system["compute"].of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        pointers = Pointers.from_env(variables)
        config = build_config(raw, pointers)  # raises ConfigError on any disagreement
        assert config.env == env
        assert config.api.max_batch_size == int(raw["api/max_batch_size"])
        assert config.cache.config_ttl_seconds == int(raw["cache/config_ttl_seconds"])
        assert config.database is not None and config.database.host == raw["database/host"]
        assert config.database.replica_max_lag_seconds == float(raw["database/replica_max_lag_seconds"])
        assert variables[contract.DATABASE_IAM_AUTH] == str(
            system["data"].exports["db_auth_mode"] == contract.DB_AUTH_IAM
        ).lower()
        assert set(pointers.prefixes) == set(contract.CATEGORIES)
        # Direct replica reads sign in as the capped reader role; proxy reads as the function's own role.
        reader = config.database.url(reader=True)
        direct = raw["database/reader_host"] != raw["database/host"]
        role = data["db_reader_username"] if direct else config.database.username
        assert reader.startswith(f"postgresql+psycopg://{role}@{raw['database/reader_host']}:")
        assert config.database.reader_connection_limit == int(raw["database/reader_connection_limit"])


@pytest.mark.unit
@pytest.mark.parametrize("spec", contract.INT_PARAMETERS, ids=lambda s: s.relative)
def test_the_stack_settings_and_the_app_accept_the_same_range(spec: contract.IntParameter) -> None:
    """maxBatchSize used to be valid up to 10,000 in the stack files while the app refused > 500."""
    from pydantic import ValidationError

    from app.config import ConfigError

    model = {"api": ApiParameters, "cache": CacheParameters}[spec.category]
    field = {"max_batch_size": "maxBatchSize", "page_size_default": "pageSizeDefault", "page_size_max": "pageSizeMax",
             "config_ttl_seconds": "configTtlSeconds"}[spec.key]
    for value, ok in ((spec.minimum, True), (spec.maximum, True), (spec.maximum + 1, False), (spec.minimum - 1, False)):
        extra = {"pageSizeDefault": {"pageSizeMax": 1000}, "pageSizeMax": {"pageSizeDefault": 1}}.get(field, {})
        if ok:
            model.model_validate({field: value, **extra})
        else:
            with pytest.raises(ValidationError):
                model.model_validate({field: value, **extra})
        pointers = Pointers(env=None, prefixes={})
        if ok:
            build_config({spec.relative: str(value)}, pointers)
        else:
            with pytest.raises(ConfigError):
                build_config({spec.relative: str(value)}, pointers)
