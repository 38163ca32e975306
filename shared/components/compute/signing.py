"""Lambda code signing: an AWS Signer profile, the code signing config every function carries, and
the signing jobs that turn each uploaded zip into a signed copy Lambda will accept.

Prod *enforces* the config (Lambda refuses code and layers not signed by the profile; with code
signing on, layers must be signed too: Lambda developer guide, "Using code signing to verify code
integrity"); dev and staging only *warn* (the deploy goes on, Lambda emits a signature validation
error metric and a CloudTrail warning), so a signing problem shows up there first. Rollout and
rollback: docs/security.md, "Lambda code signing".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.config import Environment
from shared.env_policy import env_policy
from shared.naming import resource_name

# AWS Signer's signing platform for Lambda zips (Lambda developer guide, "Code signing for Lambda").
LAMBDA_SIGNING_PLATFORM = "AWSLambda-SHA384-ECDSA"
SIGNED_PREFIX = "signed/"


def signing_policy(env: Environment) -> str:
    """UntrustedArtifactOnDeployment: Enforce in prod, Warn elsewhere."""
    return env_policy(env).code_signing_enforcement


def signing_profile_name(env: Environment) -> str:
    """Signer profile names allow only letters, digits and underscores (PutSigningProfile profileName)."""
    return resource_name(env, "lambda", service="lambda").replace("-", "_")


@dataclass
class CodeSigningArgs:
    env: Environment
    """The environment; names and the enforcement mode derive from it."""


class CodeSigning(pulumi.ComponentResource):
    profile_name: pulumi.Output[str]
    config_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CodeSigningArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:compute:CodeSigning", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        profile = aws.signer.SigningProfile(
            f"{name}-profile", name=signing_profile_name(args.env), platform_id=LAMBDA_SIGNING_PLATFORM, opts=child,
        )
        config = aws.lambda_.CodeSigningConfig(
            f"{name}-config",
            description=f"Code signed by {signing_profile_name(args.env)} ({signing_policy(args.env)})",
            allowed_publishers=aws.lambda_.CodeSigningConfigAllowedPublishersArgs(
                signing_profile_version_arns=[profile.version_arn]
            ),
            policies=aws.lambda_.CodeSigningConfigPoliciesArgs(
                untrusted_artifact_on_deployment=signing_policy(args.env)
            ),
            opts=child,
        )
        self.profile_name = profile.name
        self.config_arn = config.arn
        self.register_outputs({"profile_name": self.profile_name, "config_arn": self.config_arn})


def sign_object(
    name: str, profile_name: pulumi.Input[str], uploaded: aws.s3.BucketObjectv2, folder: str, parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """Start a signing job for one uploaded zip; the key of the signed copy (same bucket, ``signed/<folder>/``).

    The job's source pins the object version, so an unchanged zip keeps its job (and its signed key);
    a new zip gets a new job. Signer writes the signed copy as a new object: Lambda copies code at
    deploy, so old function and layer versions never read it again.
    """
    job = aws.signer.SigningJob(
        name,
        profile_name=profile_name,
        source=aws.signer.SigningJobSourceArgs(s3=aws.signer.SigningJobSourceS3Args(
            bucket=uploaded.bucket, key=uploaded.key, version=uploaded.version_id)),
        destination=aws.signer.SigningJobDestinationArgs(s3=aws.signer.SigningJobDestinationS3Args(
            bucket=uploaded.bucket, prefix=f"{SIGNED_PREFIX}{folder}/")),
        ignore_signing_job_failure=False,  # a failed signature stops the deploy here, not at CreateFunction
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return job.signed_objects.apply(_signed_key)


def _signed_key(objects: Sequence[aws.signer.outputs.SigningJobSignedObject] | None) -> str:
    for signed in objects or []:
        for s3 in signed.s3s or []:
            if s3.key:
                return s3.key
    raise ValueError("the signing job reported no signed S3 object")
