"""Shipped bytecode: unchecked-hash pycs from the target's interpreter, deterministic, and loaded without
compiling from a read-only tree (the mechanism the Lambda artifacts rely on, proven with this interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops import build, bytecode
from ops.coldstart import CHILD, set_read_only

pytestmark = pytest.mark.unit

HANDLER = "import json\n\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"


def make_function(root: Path) -> Path:
    (root / "fn").mkdir(parents=True)
    (root / "fn" / "__init__.py").write_text("")
    (root / "fn" / "handler.py").write_text(HANDLER)
    (root / "fn" / "helpers.py").write_text("VALUE = 42\n")
    return root


def test_pycs_are_unchecked_hash_and_name_the_deployed_path(tmp_path):
    tree = make_function(tmp_path / "task")
    assert bytecode.compile_tree(tree, bytecode.host_interpreter(), "/var/task") == 3
    tag = sys.implementation.cache_tag
    pyc = (tree / "fn" / "__pycache__" / f"handler.{tag}.pyc").read_bytes()
    flags = int.from_bytes(pyc[4:8], "little")
    assert flags == 0b01  # PEP 552: hash-based, check_source off
    assert b"/var/task/fn/handler.py" in pyc and str(tmp_path).encode() not in pyc


def test_compiling_twice_gives_the_same_bytes(tmp_path):
    one, two = make_function(tmp_path / "one"), make_function(tmp_path / "two")
    for tree in (one, two):
        bytecode.compile_tree(tree, bytecode.host_interpreter(), "/var/task")
    for pyc in sorted(one.rglob("*.pyc")):
        assert pyc.read_bytes() == (two / pyc.relative_to(one)).read_bytes(), pyc.name


def run_child(task: Path, tmp_path: Path) -> dict:
    event, out = tmp_path / "event.json", tmp_path / "out.json"
    event.write_text(json.dumps({"hello": "world"}))
    env = {"PATH": os.environ.get("PATH", ""), "LAMBDA_TASK_ROOT": str(task), "AWS_LAMBDA_FUNCTION_NAME": "fn"}
    command = [sys.executable, "-I", "-S", str(CHILD), "--path", str(task), "--handler", "fn.handler.handler"]
    subprocess.run([*command, "--event", str(event), "--out", str(out)], env=env, check=True, timeout=60)
    return json.loads(out.read_text())


def test_read_only_tree_with_shipped_bytecode_imports_without_compiling(tmp_path):
    shipped, bare = make_function(tmp_path / "shipped"), make_function(tmp_path / "bare")
    bytecode.compile_tree(shipped, bytecode.host_interpreter(), "/var/task")
    for tree in (shipped, bare):
        set_read_only(tree)
    try:
        with_pyc, without = run_child(shipped, tmp_path), run_child(bare, tmp_path)
    finally:
        for tree in (shipped, bare):
            set_read_only(tree, read_only=False)
    assert with_pyc["response"]["statusCode"] == 200
    assert with_pyc["compiled_by_root"]["function"] == 0
    assert without["compiled_by_root"]["function"] == 2  # fn/__init__.py and fn/handler.py, every cold start
    assert not list(bare.rglob("*.pyc")), "bytecode was written into the read-only tree"


def test_a_missing_runtime_interpreter_is_said_not_hidden(tmp_path, monkeypatch):
    monkeypatch.setattr(bytecode, "find_interpreter", lambda version: None)
    report = build._compile(make_function(tmp_path / "task"), build.LAMBDA_TARGET, "/var/task")
    assert report["shipped"] is False and "python3.12 not found" in str(report["note"])
    assert not list((tmp_path / "task").rglob("*.pyc"))


def test_interpreter_of_another_version_is_not_taken_for_the_runtime(monkeypatch):
    monkeypatch.setenv(bytecode.INTERPRETER_ENV, sys.executable)
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert bytecode.find_interpreter(this) == bytecode.Interpreter(bytecode.find_interpreter(this).command, this)  # type: ignore[union-attr]
    assert bytecode.find_interpreter("3.99") is None
