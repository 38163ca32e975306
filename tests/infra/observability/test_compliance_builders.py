"""AWS Config's pure builders: which resources each managed rule judges (no rendering)."""

from __future__ import annotations

import pytest

from shared.components.observability.compliance import MANAGED_RULES, ManagedRule, rule_scope
from shared.config import Environment

pytestmark = pytest.mark.unit


def test_change_triggered_rules_judge_only_this_envs_tagged_resources():
    scope = rule_scope(ManagedRule("RDS_STORAGE_ENCRYPTED", "why"), Environment.STAGING)
    assert scope is not None
    assert (scope.tag_key, scope.tag_value, scope.compliance_resource_types) == ("Environment", "staging", None)


def test_periodic_rules_judge_the_account():
    assert rule_scope(ManagedRule("VPC_FLOW_LOGS_ENABLED", "why", periodic=True), Environment.PROD) is None


def test_rules_with_listed_types_see_untagged_resources_too():
    (tags,) = [rule for rule in MANAGED_RULES if rule.identifier == "REQUIRED_TAGS"]
    scope = rule_scope(tags, Environment.DEV)
    assert scope is not None and scope.tag_key is None
    assert scope.compliance_resource_types == list(tags.scope_types)
