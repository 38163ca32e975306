"""Per-resource rules: each reads one resource's properties (wire names) and reports what is wrong.

A rule is ``(args, report)`` as CrossGuard calls it. Rules are written by resource *type*, so the
resources other layers add later fall under them without any change here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from serverless_infra_policy import props as p
from serverless_infra_policy.defaults import DEFAULTS
from serverless_infra_policy.iam_reference import BROAD_MANAGED_POLICIES, REQUIRED_CONDITIONS, RESOURCE_STAR_ONLY
from serverless_infra_policy.taggable import TAGGABLE_TYPES


def _provider_props(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    return args.provider.props if args.provider else None


def _env(args: ResourceValidationArgs) -> str:
    return p.environment(args.props, _provider_props(args), args.urn)


def _setting(args: ResourceValidationArgs, policy: str, key: str) -> Any:
    """A policy config value, or its default when the run passed none."""
    return args.get_config().get(key, DEFAULTS[policy][key])


# -- naming ----------------------------------------------------------------------------------

# type -> the property that holds the AWS name. Types listed in MUST_BE_NAMED may not be auto-named.
NAME_PROPERTY = {
    "aws:lambda/function:Function": "name",
    "aws:lambda/layerVersion:LayerVersion": "layerName",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:sqs/queue:Queue": "name",
    "aws:sns/topic:Topic": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/proxy:Proxy": "name",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:kms/alias:Alias": "name",
    "aws:ssm/parameter:Parameter": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:apigateway/restApi:RestApi": "name",
    "aws:signer/signingProfile:SigningProfile": "name",
}
MUST_BE_NAMED = frozenset({
    "aws:lambda/function:Function", "aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:iam/role:Role",
    "aws:cloudwatch/logGroup:LogGroup", "aws:rds/instance:Instance", "aws:kms/alias:Alias",
})
_WORDS = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def name_patterns(env: str) -> dict[str, re.Pattern[str]]:
    """The accepted shape of a name per type (``default`` for the rest), for one env."""
    base = f"serverless-infra-{env}-{_WORDS}"
    return {
        "default": re.compile(f"^{base}$"),
        # /aws/<service>/.../serverless-infra-<env>-<x>[/<export>]; API Gateway's own execution-log name.
        "aws:cloudwatch/logGroup:LogGroup": re.compile(
            rf"^(?:(?:/[a-z0-9._-]+)+/{base}(?:/[a-z0-9._-]+)*|API-Gateway-Execution-Logs_[a-z0-9]+/[A-Za-z0-9_-]+)$"),
        "aws:kms/alias:Alias": re.compile(f"^alias/{base}$"),
        # The seed fixes the parameter hierarchy: /myapp/<env>/<category>/<key>.
        "aws:ssm/parameter:Parameter": re.compile(rf"^/myapp/{env}/(database|api|cache)/[a-z0-9_]+$"),
        # AWS Signer profile names allow only [a-zA-Z0-9_] (PutSigningProfile profileName).
        "aws:signer/signingProfile:SigningProfile": re.compile(rf"^serverless_infra_{env}_[a-z0-9_]+$"),
    }


def check_naming(args: ResourceValidationArgs, report: ReportViolation) -> None:
    key = NAME_PROPERTY.get(args.resource_type)
    if key is None:
        return
    name = args.props.get(key)
    if not isinstance(name, str) or not name:
        if args.resource_type in MUST_BE_NAMED:
            report(f"no explicit `{key}`: auto-names break the serverless-infra-<env>-<type> pattern; "
                   "name it with shared.naming.resource_name", None)
        return
    env = _env(args)
    patterns = name_patterns(env)
    pattern = patterns.get(args.resource_type, patterns["default"])
    if not pattern.match(name):
        report(f"`{key}` {name!r} does not match {pattern.pattern} (env {env})", None)


# -- tags ------------------------------------------------------------------------------------

def check_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in TAGGABLE_TYPES:
        return
    tags = p.effective_tags(args.props, _provider_props(args))
    missing = [k for k in p.REQUIRED_TAG_KEYS if not tags.get(k)]
    if missing:
        report(f"effective tags (provider default_tags + own tags) lack {missing}", None)
    stack = p.stack_of(args.urn)
    if tags.get("Environment") and stack in p.ENVIRONMENTS and tags["Environment"] != stack:
        report(f"Environment tag {tags['Environment']!r} differs from the stack {stack!r}", None)


# -- encryption with customer managed keys -----------------------------------------------------

def _cmk(value: Any) -> bool:
    """A customer managed key reference: set, and not an AWS managed key alias (alias/aws/...)."""
    return isinstance(value, str) and bool(value) and "alias/aws/" not in value


def _encryption_problem(t: str, props: Mapping[str, Any]) -> str | None:
    if t == "aws:cloudwatch/logGroup:LogGroup" and not _cmk(props.get("kmsKeyId")):
        return "log group without kmsKeyId"
    if t == "aws:sqs/queue:Queue" and (not _cmk(props.get("kmsMasterKeyId")) or props.get("sqsManagedSseEnabled")):
        return "queue without a customer managed kmsMasterKeyId (SQS-managed SSE is not a CMK)"
    if t == "aws:sns/topic:Topic" and not _cmk(props.get("kmsMasterKeyId")):
        return "topic without a customer managed kmsMasterKeyId"
    if t == "aws:secretsmanager/secret:Secret" and not _cmk(props.get("kmsKeyId")):
        return "secret without kmsKeyId (the default is the AWS managed aws/secretsmanager key)"
    if t == "aws:ssm/parameter:Parameter" and (props.get("type") != "SecureString" or not _cmk(props.get("keyId"))):
        return "parameter is not a SecureString encrypted with a customer managed keyId"
    if t == "aws:lambda/function:Function" and p.get(props, "environment.variables") and not _cmk(
            props.get("kmsKeyArn")):
        return "environment variables without kmsKeyArn"
    if t == "aws:rds/instance:Instance":
        if props.get("replicateSourceDb"):
            return None  # a same-region replica is encrypted with its source's key (CreateDBInstanceReadReplica)
        if props.get("storageEncrypted") is not True or not _cmk(props.get("kmsKeyId")):
            return "storage not encrypted with a customer managed kmsKeyId"
        if props.get("performanceInsightsEnabled") and not _cmk(props.get("performanceInsightsKmsKeyId")):
            return "Performance Insights without performanceInsightsKmsKeyId"
    if t == "aws:apigateway/methodSettings:MethodSettings" and p.get(props, "settings.cachingEnabled") and not p.get(
            props, "settings.cacheDataEncrypted"):
        return "API cache enabled without cacheDataEncrypted"
    if t == "aws:dynamodb/table:Table" and not _cmk(p.get(props, "serverSideEncryption.kmsKeyArn")):
        return "table without a customer managed serverSideEncryption.kmsKeyArn"
    return None


def check_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    problem = _encryption_problem(args.resource_type, args.props)
    if problem:
        report(problem, None)


def check_key_rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:kms/key:Key":
        return
    spec = args.props.get("customerMasterKeySpec") or args.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and args.props.get("enableKeyRotation") is not True:
        report("symmetric key without enableKeyRotation", None)


# -- network exposure --------------------------------------------------------------------------

INTERNET_CIDRS = ("0.0.0.0/0", "::/0")
EGRESS_TYPES = {
    "aws:ec2/internetGateway:InternetGateway": "internet gateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "egress-only internet gateway",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:ec2/eip:Eip": "Elastic IP",
}


def check_network(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = bool(_setting(args, "network-no-internet-path", "allowInternetEgress"))
    t, props = args.resource_type, args.props
    hint = "(allowed only in an env with serverless-infra-network:egressMode nat)"
    if t == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" and (
            props.get("cidrIpv4") in INTERNET_CIDRS or props.get("cidrIpv6") in INTERNET_CIDRS):
        report("ingress from the whole internet", None)
    if t == "aws:ec2/securityGroup:SecurityGroup":
        for rule in props.get("ingress") or []:
            if set(rule.get("cidrBlocks") or []) & set(INTERNET_CIDRS):
                report("inline ingress rule from the whole internet", None)
    if allowed:
        return
    if t in EGRESS_TYPES:
        report(f"{EGRESS_TYPES[t]} {hint}", None)
    if t == "aws:ec2/subnet:Subnet" and props.get("mapPublicIpOnLaunch"):
        report(f"public subnet (mapPublicIpOnLaunch) {hint}", None)
    if t == "aws:ec2/route:Route" and (props.get("destinationCidrBlock") in INTERNET_CIDRS
                                       or props.get("destinationIpv6CidrBlock") in INTERNET_CIDRS):
        report(f"default route to the internet {hint}", None)
    if t == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" and (
            props.get("cidrIpv4") in INTERNET_CIDRS or props.get("cidrIpv6") in INTERNET_CIDRS):
        report(f"egress to the whole internet {hint}", None)


def check_rds_private_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    if t == "aws:rds/instance:Instance" and props.get("publiclyAccessible"):
        report("database instance is publicly accessible", None)
    if t == "aws:rds/proxy:Proxy" and props.get("requireTls") is not True:
        report("RDS Proxy without requireTls", None)
    if t == "aws:rds/parameterGroup:ParameterGroup" and str(props.get("family", "")).startswith("postgres"):
        forced = {str(x.get("name")): str(x.get("value")) for x in props.get("parameters") or []}
        if forced.get("rds.force_ssl") != "1":
            report("PostgreSQL parameter group without rds.force_ssl = 1", None)


# -- least-privilege IAM -------------------------------------------------------------------------

IDENTITY_POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
                         "aws:iam/groupPolicy:GroupPolicy")
RESOURCE_POLICY_PROPS = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy", "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy", "aws:sns/topic:Topic": "policy", "aws:kms/key:Key": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
}


def identity_problems(document: Any) -> list[str]:
    """What breaks least privilege in one identity policy document."""
    problems = []
    for i, statement in enumerate(p.statements(document)):
        where = statement.get("Sid") or f"Statement[{i}]"
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{where}: NotAction/NotResource in an Allow")
        actions = [str(a) for a in p.as_list(statement.get("Action"))]
        problems += [f"{where}: wildcard action {a!r}" for a in actions if "*" in a]
        if "*" not in p.as_list(statement.get("Resource")):
            continue
        unscoped = sorted(set(actions) - set(RESOURCE_STAR_ONLY))
        if unscoped:
            problems.append(f"{where}: Resource '*' for {unscoped}, which AWS lets you scope to ARNs")
        condition_keys = {k for block in (statement.get("Condition") or {}).values() for k in block}
        for action in actions:
            needed = REQUIRED_CONDITIONS.get(action)
            if needed and needed not in condition_keys:
                problems.append(f"{where}: {action} on '*' without a {needed} condition")
    return problems


def _open_principal_problems(document: Any) -> list[str]:
    problems = []
    for i, statement in enumerate(p.statements(document)):
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in p.as_list(principal.get("AWS")))
        if statement.get("Effect") == "Allow" and everyone and not statement.get("Condition"):
            problems.append(f"{statement.get('Sid') or f'Statement[{i}]'}: Allow to every principal, unconditioned")
    return problems


def check_iam(args: ResourceValidationArgs, report: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    documents = []
    if t in IDENTITY_POLICY_TYPES:
        documents.append(props.get("policy"))
    if t == "aws:iam/role:Role":
        documents += [inline.get("policy") for inline in props.get("inlinePolicies") or [] if inline.get("policy")]
        for arn in props.get("managedPolicyArns") or []:
            if arn in BROAD_MANAGED_POLICIES:
                report(f"attaches {arn}", None)
    if t == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and props.get("policyArn") in BROAD_MANAGED_POLICIES:
        report(f"attaches {props.get('policyArn')}", None)
    for document in documents:
        for problem in identity_problems(document):
            report(problem, None)
    key = RESOURCE_POLICY_PROPS.get(t)
    if key:
        for problem in _open_principal_problems(props.get(key)):
            report(problem, None)


# -- logs and tracing ----------------------------------------------------------------------------

def minimum_retention(config: Mapping[str, Any], env: str, compliance: str | None) -> int:
    """The least retention (days) for a log group of ``env`` under ``compliance``: the stricter of both."""
    fallback = DEFAULTS["log-retention"]
    by_env = config.get("minimumRetentionDays") or fallback["minimumRetentionDays"]
    by_class = config.get("complianceRetentionDays") or fallback["complianceRetentionDays"]
    return max(int(by_env.get(env, 1)), int(by_class.get(compliance or "", 0)))


def check_log_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "aws:cloudwatch/logGroup:LogGroup":
        return
    days = args.props.get("retentionInDays")
    compliance = p.effective_tags(args.props, _provider_props(args)).get("Compliance")
    needed = minimum_retention(args.get_config(), _env(args), compliance)
    if not days:
        report("no retentionInDays: logs are kept (and billed) forever", None)
    elif int(days) < needed:
        report(f"retentionInDays {int(days)} < {needed} required for env {_env(args)!r}, Compliance {compliance!r}", None)


def check_tracing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    if t == "aws:lambda/function:Function" and p.get(props, "tracingConfig.mode") != "Active":
        report("X-Ray active tracing is off (tracingConfig.mode must be Active)", None)
    if t == "aws:apigateway/stage:Stage" and props.get("xrayTracingEnabled") is not True:
        report("API Gateway stage without xrayTracingEnabled", None)


# -- Lambda code signing -------------------------------------------------------------------------

def check_code_signing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    if t == "aws:lambda/function:Function" and props.get("packageType", "Zip") == "Zip" and not props.get(
            "codeSigningConfigArn"):
        report("function without codeSigningConfigArn: unsigned code could be deployed", None)
    if t == "aws:lambda/codeSigningConfig:CodeSigningConfig":
        mode = p.get(props, "policies.untrustedArtifactOnDeployment")
        if not p.get(props, "allowedPublishers.signingProfileVersionArns"):
            report("code signing config trusts no signing profile", None)
        if _env(args) == "prod" and mode != "Enforce":
            report(f"prod code signing must Enforce (is {mode!r})", None)
        elif mode not in ("Enforce", "Warn"):
            report(f"untrustedArtifactOnDeployment {mode!r} is neither Enforce nor Warn", None)


# -- prod data protection ------------------------------------------------------------------------

def check_prod_data_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _env(args) != "prod":
        return
    t, props = args.resource_type, args.props
    min_days = int(_setting(args, "prod-data-protection", "minimumBackupRetentionDays"))
    if t == "aws:rds/instance:Instance":
        replica = bool(props.get("replicateSourceDb"))
        if props.get("deletionProtection") is not True:
            report("prod database without deletionProtection", None)
        if int(props.get("backupRetentionPeriod") or 0) < (1 if replica else min_days):
            report(f"prod {'replica' if replica else 'database'} keeps automated backups "
                   f"{props.get('backupRetentionPeriod') or 0} days (< {1 if replica else min_days})", None)
        if not replica and props.get("skipFinalSnapshot"):
            report("prod database skips its final snapshot", None)
        if props.get("multiAz") is not True:
            report(f"prod {'replica' if replica else 'database'} is not Multi-AZ", None)
    if t == "aws:s3/bucket:Bucket" and props.get("forceDestroy"):
        report("prod bucket with forceDestroy: a destroy would delete every object and version", None)


# -- advisories: cost and operability ------------------------------------------------------------

def check_lambda_cost_and_limits(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Functions run on arm64 (about 20% cheaper per GB-s) and carry a reserved concurrency (a ceiling that
    keeps one function from draining the account's pool and the database's connection budget)."""
    if args.resource_type != "aws:lambda/function:Function":
        return
    if list(args.props.get("architectures") or ["x86_64"]) != ["arm64"]:
        report("not arm64: Graviton costs about 20% less per GB-second at equal or better cold start", None)
    reserved = args.props.get("reservedConcurrentExecutions")
    if reserved is None or int(reserved) < 0:
        report("no reserved concurrency: the function can take the whole account pool", None)
