"""The collector is paused for a cold start inside Lambda and resumed (frozen first) after the first
invocation, however it ends; outside Lambda nothing changes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app import coldstart

pytestmark = pytest.mark.unit


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(coldstart, "_paused", False)
    yield
    gc.unfreeze()
    gc.enable()


def test_outside_lambda_the_collector_is_left_running(collector, monkeypatch):
    monkeypatch.delenv(coldstart.INIT_TYPE_VARIABLE, raising=False)
    assert coldstart.pause_gc() is False
    assert gc.isenabled()


def test_inside_lambda_it_is_paused_until_the_first_invocation_ends_with_an_error(collector, monkeypatch):
    monkeypatch.setenv(coldstart.INIT_TYPE_VARIABLE, "provisioned-concurrency")
    calls = []

    @coldstart.resumes_gc
    def handler(event: dict, context: object) -> dict:
        calls.append(gc.isenabled())
        if event.get("fail"):
            raise RuntimeError("boom")
        return {"ok": True}

    assert coldstart.pause_gc() is True and not gc.isenabled()
    with pytest.raises(RuntimeError):
        handler({"fail": True}, None)
    assert calls == [False]  # the first invocation ran with the collector paused
    assert gc.isenabled() and gc.get_freeze_count() > 0  # what the cold start built is frozen
    assert handler({}, None) == {"ok": True} and calls == [False, True]


def test_a_collector_paused_by_someone_else_is_not_resumed(collector, monkeypatch):
    monkeypatch.setenv(coldstart.INIT_TYPE_VARIABLE, "on-demand")
    gc.disable()
    assert coldstart.pause_gc() is False
    coldstart.resume_gc()
    assert not gc.isenabled()
