"""Stack rules: properties that hold across resources (a bucket and its policy, a function and its
async config, reservations summed over a stack).

Two resources are linked when one depends on the other or names it (bucket name, queue URL,
function name or ARN): the engine gives dependencies, the names hold once values are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from serverless_infra_policy import props as p
from serverless_infra_policy.defaults import DEFAULTS

BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
# S3 server access logs: the target bucket may use only SSE-S3 (AES256) default encryption
# (Amazon S3 User Guide, "Enabling Amazon S3 server access logging": "Default encryption with AWS KMS
# keys (SSE-KMS) is not supported").
ACCESS_LOG_TARGET_SSE = "AES256"


def _of_type(resources: Iterable[PolicyResource], token: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == token]


def _depends_on(resource: PolicyResource, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.dependencies or [])


def _bucket_children(resources: list[PolicyResource], bucket: PolicyResource, token: str,
                     key: str = "bucket") -> list[PolicyResource]:
    name = bucket.props.get("bucket")
    if name:  # bucket names are the ids every S3 sub-resource refers to
        return [r for r in _of_type(resources, token) if r.props.get(key) == name]
    return [r for r in _of_type(resources, token) if r.props.get(key) and _depends_on(r, bucket)]


def _log_targets(resources: list[PolicyResource]) -> set[str]:
    """URNs of the buckets that receive S3 server access logs."""
    targets = set()
    for bucket in _of_type(resources, BUCKET):
        if _bucket_children(resources, bucket, "aws:s3/bucketLogging:BucketLogging", "targetBucket"):
            targets.add(bucket.urn)
    return targets


def _sse_problem(rules: Any, access_log_target: bool) -> str | None:
    rule = (p.as_list(rules) or [{}])[0]
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    if access_log_target:
        if default.get("sseAlgorithm") != ACCESS_LOG_TARGET_SSE:
            return "an access-log target bucket must default to SSE-S3 (AES256): S3 does not deliver logs to SSE-KMS"
        return None
    if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse") or not default.get("kmsMasterKeyId"):
        return "default encryption is not SSE-KMS with a customer managed kmsMasterKeyId"
    return None


def check_bucket_baseline(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every bucket: default encryption, all four public-access blocks, versioning, a lifecycle."""
    resources, targets = list(args.resources), _log_targets(list(args.resources))
    for bucket in _of_type(resources, BUCKET):
        sse = _bucket_children(resources, bucket,
                               "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        problem = _sse_problem(sse[0].props.get("rules"), bucket.urn in targets) if sse else "no default encryption"
        if problem:
            report(problem, bucket.urn)
        blocks = _bucket_children(resources, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if not blocks or not all(blocks[0].props.get(f) is True for f in flags):
            report(f"public access not fully blocked ({', '.join(flags)} must all be true)", bucket.urn)
        versioning = _bucket_children(resources, bucket, "aws:s3/bucketVersioning:BucketVersioning")
        if not versioning or p.get(versioning[0].props, "versioningConfiguration.status") != "Enabled":
            report("versioning is not Enabled", bucket.urn)
        if not _bucket_children(resources, bucket,
                                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
            report("no lifecycle configuration: old versions and logs would be kept (and billed) forever", bucket.urn)


def check_bucket_access_logging(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every bucket logs its requests to a log bucket; the log bucket itself is the end of the chain."""
    resources, targets = list(args.resources), _log_targets(list(args.resources))
    for bucket in _of_type(resources, BUCKET):
        if bucket.urn in targets:
            continue
        if not _bucket_children(resources, bucket, "aws:s3/bucketLogging:BucketLogging"):
            report("no server access logging (aws.s3.BucketLogging to the log bucket)", bucket.urn)


def check_bucket_replication(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for bucket in _of_type(resources, BUCKET):
        if not _bucket_children(resources, bucket, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
            report("no cross-region replication", bucket.urn)


def _queue_named(queue: PolicyResource, reference: Any) -> bool:
    """Whether a queue URL or ARN points at ``queue`` (matched on the queue name at its end)."""
    name = queue.props.get("name")
    return isinstance(reference, str) and bool(name) and reference.rstrip("/").rsplit("/", 1)[-1].rsplit(
        ":", 1)[-1] == name


def check_tls_only_policies(args: StackValidationArgs, report: ReportViolation) -> None:
    """Buckets, queues and topics refuse requests not sent over TLS (aws:SecureTransport false)."""
    resources = list(args.resources)
    for bucket in _of_type(resources, BUCKET):
        policies = _bucket_children(resources, bucket, "aws:s3/bucketPolicy:BucketPolicy")
        if not any(p.denies_insecure_transport(x.props.get("policy")) for x in policies):
            report("no bucket policy denying aws:SecureTransport false", bucket.urn)
    for queue in _of_type(resources, QUEUE):
        policies = [x for x in _of_type(resources, "aws:sqs/queuePolicy:QueuePolicy")
                    if _queue_named(queue, x.props.get("queueUrl")) or _depends_on(x, queue)]
        if not any(p.denies_insecure_transport(x.props.get("policy")) for x in policies):
            report("no queue policy denying aws:SecureTransport false", queue.urn)
    for topic in _of_type(resources, "aws:sns/topic:Topic"):
        policies = [topic.props.get("policy")] + [
            x.props.get("policy") for x in _of_type(resources, "aws:sns/topicPolicy:TopicPolicy") if _depends_on(x, topic)]
        if not any(p.denies_insecure_transport(doc) for doc in policies if doc):
            report("no topic policy denying aws:SecureTransport false", topic.urn)


def check_dead_letter_queues(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every queue a function consumes redrives to a DLQ, unless it is itself the DLQ of another queue.

    A queue no event source mapping reads (the dead-letter archive: only operators' `invoke dlq` tasks
    receive from it) must *not* redrive: each listing receives every letter once, so a maxReceiveCount
    would move letters out of it as they are looked at."""
    queues = _of_type(args.resources, QUEUE)
    mappings = _of_type(args.resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
    targets = [p.get(p.decoded(q.props.get("redrivePolicy")) or {}, "deadLetterTargetArn") for q in queues]
    for queue in queues:
        redrive = p.decoded(queue.props.get("redrivePolicy"))
        is_dlq = any(_queue_named(queue, t) for t in targets) or any(
            _depends_on(other, queue) for other in queues if other.props.get("redrivePolicy"))
        consumed = any(_queue_named(queue, m.props.get("eventSourceArn")) or _depends_on(m, queue) for m in mappings)
        if not (isinstance(redrive, Mapping) and redrive.get("deadLetterTargetArn")) and not is_dlq and consumed:
            report("queue without a redrivePolicy to a dead-letter queue", queue.urn)


def _targets_function(config: PolicyResource, function: PolicyResource) -> bool:
    name, ref = function.props.get("name"), config.props.get("functionName")
    if isinstance(ref, str) and name and (ref == name or ref.split(":function:")[-1].split(":")[0] == name):
        return True
    return _depends_on(config, function)


def check_async_failure_destinations(args: StackValidationArgs, report: ReportViolation) -> None:
    """Failed asynchronous invocations land somewhere: an on-failure destination or a DLQ."""
    configs = _of_type(args.resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    for function in _of_type(args.resources, FUNCTION):
        if p.get(function.props, "deadLetterConfig.targetArn"):
            continue
        if not any(_targets_function(c, function) and p.get(c.props, "destinationConfig.onFailure.destination")
                   for c in configs):
            report("asynchronous invocations that fail are dropped: no on-failure destination or DLQ", function.urn)


def check_reserved_concurrency(args: StackValidationArgs, report: ReportViolation) -> None:
    """Reservations of this stack plus the account's other reservations leave the unreserved minimum."""
    config = {**DEFAULTS["reserved-concurrency-quota"], **args.get_config()}
    limit, floor = int(config["accountConcurrencyLimit"]), int(config["unreservedMinimum"])
    elsewhere = int(config["reservedElsewhere"])
    functions = _of_type(args.resources, FUNCTION)
    if not functions:
        return  # nothing reserved by this stack; the stacks that reserve are checked on their own
    reserved = sum(max(int(f.props.get("reservedConcurrentExecutions") or -1), 0) for f in functions)
    if reserved + elsewhere > limit - floor:
        worst = max(functions, key=lambda f: int(f.props.get("reservedConcurrentExecutions") or 0))
        report(f"reservations {reserved} here + {elsewhere} elsewhere exceed the account quota {limit} minus "
               f"{floor} that must stay unreserved", worst.urn)
