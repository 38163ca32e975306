"""The deployment artifacts bucket and the dependency layer published from it.

The bucket is private, versioned, KMS-encrypted (the security layer's ``artifacts`` key with a
bucket key, so S3 calls KMS once per bucket-key period, not per object), TLS-only and owner-enforced,
and logs every request to an access-log bucket. Each zip lives under one stable key
(``layers/dependencies.zip``, ``functions/app.zip``): a new build is a new S3 *version* of the same
key, so the versioned bucket keeps the history and the noncurrent-version lifecycle applies. (A
content-addressed key would make every build a new object; replacing an object's key in the AWS
provider deletes the old key with all its versions, so nothing would be kept.) The signing job pins
the exact object version; an unchanged zip keeps its sha256, so nothing is uploaded, signed or
published again. Rollback itself does not need the bucket: published Lambda versions keep their own
code (ops/release.py).

Code signing (``signing.sign_object``): AWS Signer signs each uploaded version and writes the signed
copy under ``signed/`` (a new key per signing job, so it pins the bytes); the layer and the functions
deploy the signed copies. Signed copies are never expired: a function replaced later re-reads its key.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.access_logs import AccessLogArgs, access_log_bucket
from shared.components.compute.signing import sign_object
from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import resource_name

# Stable keys: versions accumulate under them (see the module docstring).
LAYER_KEY = "layers/dependencies.zip"
APP_KEY = "functions/app.zip"
BUILD_HINT = "run `invoke build` (it writes build/lambda/), then synth or deploy again"


class MissingArtifactError(FileNotFoundError):
    """A build artifact the compute layer deploys is absent."""


@dataclass(frozen=True)
class BuiltArtifact:
    """One zip from ``invoke build``, as the manifest describes it."""

    path: Path
    sha256: str
    runtime: str
    architecture: str

    @property
    def code_sha256_base64(self) -> str:
        """What Lambda reports as CodeSha256: the base64 of the raw sha256 digest."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def load_artifacts(build_dir: Path) -> dict[str, BuiltArtifact]:
    """{"layer": ..., "app": ...} from ``build_dir/manifest.json``, each file checked to exist."""
    manifest_path = build_dir / "manifest.json"
    if not manifest_path.exists():
        raise MissingArtifactError(f"{manifest_path} is missing: {BUILD_HINT}")
    manifest = json.loads(manifest_path.read_text())
    found = {}
    for kind, entry in manifest["artifacts"].items():
        path = build_dir / entry["path"]
        if not path.exists():
            raise MissingArtifactError(f"{path} is missing: {BUILD_HINT}")
        found[kind] = BuiltArtifact(path, entry["sha256"], manifest["runtime"], manifest["architecture"])
    return found


@dataclass
class ArtifactStoreArgs:
    env: Environment
    """The environment; names and the retention posture derive from it."""
    account_id: pulumi.Input[str]
    """The AWS account id: bucket names are global, so the name carries it."""
    kms_key_arn: pulumi.Input[str]
    """The security layer's ``artifacts`` key: default encryption of every object."""
    noncurrent_days: int
    """Days a replaced (noncurrent) object version is kept before S3 expires it."""
    layer: BuiltArtifact
    """The dependency layer zip to upload and publish."""
    app: BuiltArtifact
    """The function code zip to upload."""
    signing_profile_name: pulumi.Input[str]
    """The AWS Signer profile that signs both zips (code signing, see signing.py)."""
    access_log_days: int
    """Days the access-log bucket keeps the artifact bucket's request logs."""


# Multipart uploads never completed are aborted (and their parts deleted) after this many days.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7


def lifecycle_rules(noncurrent_days: int) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Replaced versions expire after ``noncurrent_days``; abandoned multipart uploads are aborted.

    Current versions are never expired: the deployed layer and app (and their signed copies) stay.
    """
    every_object = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=every_object,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=every_object,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
            ),
        ),
    ]


def tls_only_policy(bucket_arn: str) -> str:
    """A bucket policy that refuses every request to the bucket or its objects not made over TLS."""
    return json.dumps(iam.document([iam.deny_insecure_transport("s3:*", [bucket_arn, f"{bucket_arn}/*"])]))


def layer_description(layer: BuiltArtifact) -> str:
    """What the published layer version says about itself: runtime, architecture, the zip's sha256 prefix."""
    return f"serverless-infra dependencies ({layer.runtime}, {layer.architecture}), sha256 {layer.sha256[:16]}"


class ArtifactStore(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    layer_arn: pulumi.Output[str]
    app_key: pulumi.Output[str]
    """The key of the signed copy of app.zip the functions deploy."""

    def __init__(
        self, name: str, args: ArtifactStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("serverless-infra:compute:ArtifactStore", name, None, opts)
        # Prod's bucket is the build history of a sox env: a compute destroy forgets it (and its settings and
        # objects) instead of deleting it, and the next deploy takes it over: in us-east-1, CreateBucket for
        # a bucket you already own "returns 200 OK" (S3 API reference, BucketAlreadyOwnedByYou), and the
        # settings are idempotent Put calls. Elsewhere a destroy empties and deletes it (force_destroy).
        keep = env_policy(args.env).retain_artifacts_on_destroy
        bucket = self._bucket(name, args, keep)
        ready = self._bucket_settings(name, args, bucket, keep)
        # Objects go in only once the bucket encrypts and versions by default.
        upload = pulumi.ResourceOptions(parent=self, depends_on=ready, retain_on_delete=keep)
        layer_object = self._object(f"{name}-layer-object", bucket, LAYER_KEY, args.layer, upload)
        app_object = self._object(f"{name}-app-object", bucket, APP_KEY, args.app, upload)
        signed_layer_key = sign_object(f"{name}-layer-signing", args.signing_profile_name, layer_object, "layers", self)
        signed_app_key = sign_object(f"{name}-app-signing", args.signing_profile_name, app_object, "functions", self)
        # skip_destroy: a replaced layer version stays published, so older function versions (the
        # rollback targets of the live alias) keep working.
        layer = aws.lambda_.LayerVersion(
            f"{name}-dependencies-layer",
            layer_name=resource_name(args.env, "dependencies", service="lambda_layer"),
            description=layer_description(args.layer),
            s3_bucket=bucket.id,
            s3_key=signed_layer_key,  # the signed copy of exactly this version of LAYER_KEY
            source_code_hash=args.layer.code_sha256_base64,
            compatible_runtimes=[args.layer.runtime],
            compatible_architectures=[args.layer.architecture],
            skip_destroy=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.bucket_name = bucket.id
        self.bucket_arn = bucket.arn
        self.layer_arn = layer.arn
        self.app_key = signed_app_key
        self.register_outputs({
            "bucket_name": self.bucket_name,
            "bucket_arn": self.bucket_arn,
            "layer_arn": self.layer_arn,
            "app_key": self.app_key,
        })

    def _bucket(self, name: str, args: ArtifactStoreArgs, keep: bool) -> aws.s3.Bucket:
        """The bucket and its access logging (the logs are its audit trail, kept through a prod destroy too)."""
        env = args.env
        store = pulumi.ResourceOptions(parent=self, retain_on_delete=keep)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=pulumi.Output.from_input(args.account_id).apply(
                lambda account: resource_name(env, "artifacts", account, service="s3")
            ),
            force_destroy=env_policy(env).force_destroy_buckets,
            opts=store,
        )
        log_bucket = access_log_bucket(self, f"{name}-access-logs", AccessLogArgs(
            env, args.account_id, args.access_log_days, bucket.arn, "artifacts/", retain_on_delete=keep))
        aws.s3.BucketLogging(
            f"{name}-access-logging", bucket=bucket.id, target_bucket=log_bucket.id, target_prefix="artifacts/",
            opts=store,
        )
        return bucket

    def _bucket_settings(
        self, name: str, args: ArtifactStoreArgs, bucket: aws.s3.Bucket, keep: bool
    ) -> list[pulumi.Resource]:
        """Owner-enforced, private, versioned, KMS-encrypted, lifecycled, TLS-only; returns what uploads wait for."""
        store = pulumi.ResourceOptions(parent=self, retain_on_delete=keep)
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=store,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=store,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=store,
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=store,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=lifecycle_rules(args.noncurrent_days),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning], retain_on_delete=keep),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block], retain_on_delete=keep),
        )
        return [encryption, versioning]

    def _object(
        self, name: str, bucket: aws.s3.Bucket, key: str, artifact: BuiltArtifact, opts: pulumi.ResourceOptions
    ) -> aws.s3.BucketObjectv2:
        """One zip under its stable key: a changed sha256 uploads a new version of the same key."""
        return aws.s3.BucketObjectv2(
            name,
            bucket=bucket.id,
            key=key,
            source=pulumi.FileAsset(str(artifact.path)),
            source_hash=artifact.sha256,
            content_type="application/zip",
            opts=opts,
        )
