"""A regional WAFv2 web ACL on the stage: a rate limit per client IP and two AWS managed rule groups.

Monthly cost (AWS WAF pricing, us-east-1): $5 per web ACL + $1 per rule or rule group (3 here) =
$8, plus $0.60 per million requests inspected. The managed groups' capacity (CommonRuleSet 700 WCU,
KnownBadInputs 200 WCU, rate rule 2) stays within the 1,500 WCU a web ACL gets for the base price.

``AWSManagedRulesCommonRuleSet`` blocks bodies over 8 KB (rule ``SizeRestrictions_BODY``): a batch of
500 orders is larger, so that one rule only counts; API Gateway's 10 MB limit and the app's 500-record
cap bound the body instead.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.components.api.settings import Waf
from shared.config import Environment
from shared.naming import resource_name

MANAGED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ["SizeRestrictions_BODY"]}


def _rule_visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _rules(waf: Waf) -> list[aws.wafv2.WebAclRuleArgs]:
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name="rate-per-ip",
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=waf.rate_limit_per_ip,
                    aggregate_key_type="IP",
                    evaluation_window_sec=waf.evaluation_window_seconds,
                )
            ),
            visibility_config=_rule_visibility("rate-per-ip"),
        )
    ]
    for priority, group in enumerate(MANAGED_GROUPS, start=1):
        overrides = [
            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                name=rule,
                action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                    count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
                ),
            )
            for rule in COUNT_ONLY.get(group, [])
        ]
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group, rule_action_overrides=overrides or None
                    )
                ),
                visibility_config=_rule_visibility(group),
            )
        )
    return rules


def build_waf(
    name: str, env: Environment, waf: Waf, stage_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.wafv2.WebAcl:
    acl_name = resource_name(env, "waf", "api")
    acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        name=acl_name,
        description="Rate limit per IP, AWS common rules, known bad inputs",
        scope="REGIONAL",
        default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
        rules=_rules(waf),
        visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=acl_name, sampled_requests_enabled=True
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.wafv2.WebAclAssociation(
        f"{name}-waf-association",
        resource_arn=stage_arn,
        web_acl_arn=acl.arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return acl
