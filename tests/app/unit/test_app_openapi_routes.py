"""The committed OpenAPI document covers exactly the routes the handler registers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit


def test_openapi_covers_every_route() -> None:
    from app.handlers.api import app

    registered = {(r.method.lower(), r.openapi_path) for r in app._static_routes + app._dynamic_routes}
    spec = yaml.safe_load((Path(__file__).parents[3] / "app" / "openapi.yaml").read_text())
    documented = {
        (m, p) for p, ops in spec["paths"].items() for m in ops if m in {"get", "post", "put", "delete"}
    }
    assert registered == documented
    assert len(registered) == 7
