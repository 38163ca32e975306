"""Entry point the Pulumi CLI runs for `pulumi preview|up --policy-pack policy`."""

from pulumi_policy import PolicyPack
from serverless_infra_policy.pack import PACK_NAME, build_policies, initial_config

PolicyPack(name=PACK_NAME, policies=build_policies(), initial_config=initial_config())
