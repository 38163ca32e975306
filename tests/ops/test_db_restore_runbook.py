"""Runbook "Point-in-time restore, rename and swap" (docs/data.md) against a fake RDS with AWS's id rules.

moto gives every instance the same DbiResourceId, so it cannot show the misfire; this fake enforces the
rules the procedure depends on: a restore is a new instance with a new resource id (RestoreDBInstanceToPointInTime
creates a new DB instance), a rename (ModifyDBInstance NewDBInstanceIdentifier) keeps the resource id,
and the provider reads an instance back by the resource id its state holds (pulumi-aws 7)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from invoke.context import Context

from ops import db_restore
from shared.config import Environment

pytestmark = pytest.mark.unit
PRIMARY = "serverless-infra-prod-db"


class NotFound(Exception):
    pass


class FakeRds:
    class exceptions:  # noqa: N801 - boto's spelling
        DBInstanceNotFoundFault = NotFound

    def __init__(self) -> None:
        self._ids = (f"db-{n:026d}" for n in itertools.count(1))
        self.instances: dict[str, str] = {}  # identifier -> resource id

    def create_db_instance(self, DBInstanceIdentifier: str) -> str:  # noqa: N803
        self.instances[DBInstanceIdentifier] = next(self._ids)
        return self.instances[DBInstanceIdentifier]

    def restore_db_instance_to_point_in_time(self, SourceDBInstanceIdentifier: str,  # noqa: N803
                                             TargetDBInstanceIdentifier: str) -> None:  # noqa: N803
        if TargetDBInstanceIdentifier in self.instances:
            raise ValueError("DBInstanceAlreadyExists")
        self.instances[TargetDBInstanceIdentifier] = next(self._ids)  # a new instance: a new resource id

    def modify_db_instance(self, DBInstanceIdentifier: str, NewDBInstanceIdentifier: str) -> None:  # noqa: N803
        if NewDBInstanceIdentifier in self.instances:
            raise ValueError("DBInstanceAlreadyExists")
        self.instances[NewDBInstanceIdentifier] = self.instances.pop(DBInstanceIdentifier)

    def describe_db_instances(self, DBInstanceIdentifier: str | None = None,  # noqa: N803
                              Filters: list[dict] | None = None) -> dict:  # noqa: N803
        if Filters:
            wanted = Filters[0]["Values"][0]
            found = [i for i, rid in self.instances.items() if rid == wanted]
        else:
            found = [DBInstanceIdentifier] if DBInstanceIdentifier in self.instances else []
            if not found:
                raise NotFound(DBInstanceIdentifier)
        return {"DBInstances": [{"DBInstanceIdentifier": i, "DbiResourceId": self.instances[i]} for i in found]}


def provider_refresh(state: dict, rds: FakeRds) -> str:
    """What `pulumi refresh` reads for the primary: the instance whose resource id is the state's id."""
    (primary,) = [r for r in state["deployment"]["resources"] if r["type"] == db_restore.INSTANCE]
    (found,) = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [primary["id"]]}])["DBInstances"]
    return found["DBInstanceIdentifier"]


def deployed() -> tuple[FakeRds, dict]:
    rds = FakeRds()
    resource_id = rds.create_db_instance(DBInstanceIdentifier=PRIMARY)
    state = {"version": 3, "deployment": {"resources": [
        {"urn": "urn:pulumi:prod::serverless-infra-data::aws:rds/instance:Instance::data-database-primary",
         "type": db_restore.INSTANCE, "id": resource_id, "outputs": {"identifier": PRIMARY, "resourceId": resource_id}},
        {"urn": "urn:pulumi:prod::serverless-infra-data::aws:rds/proxyTarget:ProxyTarget::data-proxy-target",
         "type": "aws:rds/proxyTarget:ProxyTarget", "id": "proxy,default,RDS_INSTANCE," + PRIMARY},
    ]}}
    return rds, state


def restore_and_swap(rds: FakeRds) -> None:
    """The documented steps 1-2: restore to a new instance, rename the old away and the restored in."""
    rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier=PRIMARY,
                                             TargetDBInstanceIdentifier=f"{PRIMARY}-restore")
    rds.modify_db_instance(DBInstanceIdentifier=PRIMARY, NewDBInstanceIdentifier=f"{PRIMARY}-old")
    rds.modify_db_instance(DBInstanceIdentifier=f"{PRIMARY}-restore", NewDBInstanceIdentifier=PRIMARY)


def test_without_adopting_a_refresh_follows_the_renamed_old_instance() -> None:
    rds, state = deployed()
    restore_and_swap(rds)
    assert provider_refresh(state, rds) == f"{PRIMARY}-old"  # the misfire of "refresh, then up"


def test_adopt_restored_makes_the_state_read_the_restored_instance(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rds, state = deployed()
    restore_and_swap(rds)
    exported = tmp_path / "state.json"
    exported.write_text(json.dumps(state))
    monkeypatch.setattr("boto3.client", lambda *a, **k: rds)
    db_restore.adopt_restored(Context(), env="prod", state_file=str(exported))
    adopted = json.loads(exported.read_text())
    assert provider_refresh(adopted, rds) == PRIMARY
    assert adopted["deployment"]["resources"][1] == state["deployment"]["resources"][1]  # nothing else changed
    assert json.loads((tmp_path / "state.json.bak").read_text()) == state
    assert "pulumi stack import --file" in capsys.readouterr().out


def test_adopting_twice_or_before_the_swap_is_refused_and_writes_nothing() -> None:
    rds, state = deployed()
    with pytest.raises(db_restore.AdoptRefused, match="do the rename-and-swap first"):
        db_restore.swapped_ids(Environment.PROD, rds)
    restore_and_swap(rds)
    old_id, new_id = db_restore.swapped_ids(Environment.PROD, rds)
    adopted = db_restore.repoint(state, old_id, new_id)
    with pytest.raises(db_restore.AdoptRefused, match="already adopted"):
        db_restore.repoint(adopted, old_id, new_id)
    with pytest.raises(db_restore.AdoptRefused, match="not an RDS resource id"):
        db_restore.repoint(state, PRIMARY, new_id)  # an identifier is not the state id any more
