"""The compute layer: Lambda functions, the dependency layer, artifacts bucket, queues, autoscaling."""

from shared.components.compute.artifacts import MissingArtifactError, load_artifacts
from shared.components.compute.compute import Compute, ComputeArgs
from shared.components.compute.settings import ComputeSettings

__all__ = ["Compute", "ComputeArgs", "ComputeSettings", "MissingArtifactError", "load_artifacts"]
