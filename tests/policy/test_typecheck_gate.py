"""The type-check gate CI runs over projects/ and shared/ must catch what Pulumi mocks accept.

A misspelled key inside a nested argument is silently dropped by the mocks (and by Python);
pyright with pulumi-aws's typed Args/ArgsDict catches it. This proves the gate's configuration
(pyproject [tool.pyright]) still does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import REPO_ROOT

pytestmark = pytest.mark.policy

PROBE = '''import pulumi_aws as aws
aws.lambda_.Function("f", role="r", tracing_config={"mdoe": "Active"})
aws.lambda_.Function("g", role="r", tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"))
'''


def test_pyright_rejects_a_misspelled_nested_key(tmp_path: Path):
    probe = REPO_ROOT / "projects" / f"_typecheck_probe_{tmp_path.name}.py"
    probe.write_text(PROBE)
    try:
        pyright = Path(sys.executable).with_name("pyright")
        proc = subprocess.run([str(pyright), str(probe)], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=False)
    finally:
        probe.unlink()
    assert proc.returncode == 1, proc.stdout
    assert ":2:" in proc.stdout and "tracing_config" in proc.stdout
    assert ":3:" not in proc.stdout  # the correctly spelled typed Args passes
