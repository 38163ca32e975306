"""IAM actions that accept only ``"Resource": "*"``, from the AWS Service Authorization Reference.

An action is listed only when its row in the reference has no resource type: IAM cannot scope it
to an ARN, so ``"*"`` is the narrowest statement AWS accepts. Everything else must name its ARNs.
Where AWS offers a condition key instead, ``REQUIRED_CONDITIONS`` makes the rule demand it.
"""

from __future__ import annotations

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"

# action -> the Service Authorization Reference page that lists it without a resource type
RESOURCE_STAR_ONLY: dict[str, str] = {
    # X-Ray: the trace and sampling APIs the SDK calls have no resource types.
    "xray:PutTraceSegments": SAR + "list_awsx-ray.html",
    "xray:PutTelemetryRecords": SAR + "list_awsx-ray.html",
    "xray:GetSamplingRules": SAR + "list_awsx-ray.html",
    "xray:GetSamplingTargets": SAR + "list_awsx-ray.html",
    "xray:GetSamplingStatisticSummaries": SAR + "list_awsx-ray.html",
    # CloudWatch: PutMetricData has no resource type; the cloudwatch:namespace condition scopes it.
    "cloudwatch:PutMetricData": SAR + "list_amazoncloudwatch.html",
    # EC2 Describe* calls never support resource-level permissions.
    "ec2:DescribeNetworkInterfaces": SAR + "list_amazonec2.html",
    "ec2:DescribeSubnets": SAR + "list_amazonec2.html",
    "ec2:DescribeSecurityGroups": SAR + "list_amazonec2.html",
    "ec2:DescribeVpcs": SAR + "list_amazonec2.html",
    # List/describe calls over a whole account.
    "kms:ListAliases": SAR + "list_awskeymanagementservice.html",
    "ssm:DescribeParameters": SAR + "list_awssystemsmanager.html",
}

# action -> condition key a "*" statement must carry (the only scoping AWS offers for it)
REQUIRED_CONDITIONS: dict[str, str] = {
    "cloudwatch:PutMetricData": "cloudwatch:namespace",
}

# AWS managed policies far broader than any function or service role here needs.
BROAD_MANAGED_POLICIES = frozenset({
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
})
