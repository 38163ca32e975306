"""app/contract.py: the flag parser and the integer parameter bounds both sides use."""

from __future__ import annotations

import pytest

from app import contract

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("raw", "expected"), [("true", True), (" YES ", True), ("1", True), ("on", True), ("t", True),
                                               ("false", False), ("No", False), ("0", False), ("off", False), ("n", False),
                                               (None, None), ("", None), ("  ", None)])
def test_env_flag_spellings_and_default(raw: str | None, expected: bool | None) -> None:
    for default in (True, False):
        assert contract.env_flag(raw, default) is (default if expected is None else expected)


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "yes please"])
def test_env_flag_refuses_a_typo_instead_of_guessing(raw: str) -> None:
    with pytest.raises(ValueError, match=repr(raw)):
        contract.env_flag(raw, default=True)


def test_int_parameter_bounds_and_names() -> None:
    assert contract.MAX_BATCH_SIZE.relative == "api/max_batch_size" and contract.MAX_BATCH_SIZE.maximum == 500
    assert contract.MAX_BATCH_SIZE.check(500) == 500
    for bad in (0, 501, True, "5"):
        with pytest.raises(ValueError):
            contract.MAX_BATCH_SIZE.check(bad)  # type: ignore[arg-type]
    assert contract.prefix_variable("database") == "PARAMETER_PREFIX_DATABASE"
    with pytest.raises(ValueError):
        contract.prefix_variable("logs")


def test_contract_is_standard_library_only() -> None:
    """It ships in the function zip and is imported at cold start: nothing heavier may creep in."""
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(contract.__file__).read_text())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m.split(".")[0] for m in modules} <= set(sys.stdlib_module_names) | {"__future__"}
