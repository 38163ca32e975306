"""`invoke data.adopt-restored`: make the data stack's state follow a restored primary after the swap.

Why: pulumi-aws 7 (terraform-provider-aws >= 5) keeps an RDS instance's *resource id* (``DbiResourceId``,
``db-...``) as its state id, not the identifier ("aws_db_instance: id is now the DBI resource ID",
provider v5 upgrade guide), and reads it back by that id. After the rename-and-swap of a restore
(docs/data.md), the identifier ``serverless-infra-{env}-db`` names the restored instance but the state
still holds the old instance's resource id, so `pulumi refresh` follows the *renamed old* instance and
the next `pulumi up` would try to rename it back. A restore always gets a new resource id.

This rewrites an exported stack state (``pulumi stack export --file state.json``): the one
``aws:rds/instance:Instance`` whose id is the old primary's resource id gets the restored one's, nothing
else changes; then ``pulumi stack import --file state.json`` and ``pulumi refresh`` read the restored
instance. The ids are looked up in RDS by identifier, so the operator types none of them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

from shared.config import REGION, Environment
from shared.naming import resource_name

INSTANCE = "aws:rds/instance:Instance"
RESOURCE_ID = re.compile(r"^db-[A-Z0-9]{10,}$")


class AdoptRefused(RuntimeError):
    """The state or RDS is not in the shape the swap leaves: nothing was written."""


def swapped_ids(env: Environment, rds: Any) -> tuple[str, str]:
    """(old primary's resource id, restored primary's) after the rename-and-swap."""
    primary = resource_name(env, "db", service="rds")
    ids = []
    for identifier in (f"{primary}-old", primary):
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        except rds.exceptions.DBInstanceNotFoundFault:
            raise AdoptRefused(f"no instance {identifier}: do the rename-and-swap first (docs/data.md)") from None
        ids.append(found[0]["DbiResourceId"])
    if ids[0] == ids[1]:
        raise AdoptRefused(f"{primary} and {primary}-old have the same resource id {ids[0]}")
    return ids[0], ids[1]


def repoint(state: dict[str, Any], old_id: str, new_id: str) -> dict[str, Any]:
    """A copy of an exported state whose primary instance (id ``old_id``) now has id ``new_id``."""
    for value in (old_id, new_id):
        if not RESOURCE_ID.match(value):
            raise AdoptRefused(f"{value!r} is not an RDS resource id (db-...)")
    state = json.loads(json.dumps(state))
    matches = [r for r in state.get("deployment", {}).get("resources", [])
               if r.get("type") == INSTANCE and r.get("id") == old_id]
    if len(matches) != 1:
        ids = [r.get("id") for r in state.get("deployment", {}).get("resources", []) if r.get("type") == INSTANCE]
        raise AdoptRefused(f"expected one {INSTANCE} with id {old_id} in the state, found {len(matches)} "
                           f"(instances in the state: {ids}); was it already adopted?")
    matches[0]["id"] = new_id
    matches[0].setdefault("outputs", {})["resourceId"] = new_id
    return state


@task(name="adopt-restored", help={
    "env": "dev, staging or prod",
    "state_file": "the data stack's `pulumi stack export --file` output; rewritten in place (a .bak is kept)",
    "endpoint_url": "RDS endpoint (an emulator); default: real AWS",
})
def adopt_restored(c, env, state_file, endpoint_url=None):
    """Point the data stack's primary at the restored instance after the rename-and-swap (docs/data.md)."""
    import boto3

    path = Path(state_file)
    try:
        old_id, new_id = swapped_ids(Environment.parse(env, source="--env"),
                                     boto3.client("rds", region_name=REGION, endpoint_url=endpoint_url))
        state = repoint(json.loads(path.read_text()), old_id, new_id)
    except (AdoptRefused, OSError, ValueError) as error:
        raise Exit(f"adopt-restored: {error}; nothing was written", code=1) from None
    shutil.copyfile(path, path.with_suffix(path.suffix + ".bak"))
    path.write_text(json.dumps(state, indent=2))
    print(f"{path}: primary {old_id} -> {new_id}. Next: pulumi stack import --file {path}; pulumi refresh; pulumi up")
