"""Data layer: RDS PostgreSQL (Multi-AZ primary, read replicas, backups), RDS Proxy, DB parameters in SSM.

Reads the network (subnets, security group, AZs) and security (database key, parameter prefix)
layers; publishes the data contract (shared/contracts.py).
"""

import pulumi

from app.contract import DB_AUTH_IAM
from shared.components.data import Database, DatabaseArgs, DataSettings, check_environment_policy
from shared.config import current_stack_context
from shared.connection_budget import DatabaseLimits
from shared.providers import aws_provider, caller_account_id
from shared.stacks import Upstream, publish

ctx = current_stack_context("data")
settings = ctx.layer_settings(DataSettings)
check_environment_policy(settings, ctx.env, ctx.stack_file)
provider = aws_provider(ctx)
account_id = caller_account_id(provider)

network, security = Upstream(ctx, "network"), Upstream(ctx, "security")
key_arns = security.require("kms_key_arns")
database_prefix = security.require("parameter_prefixes").apply(lambda prefixes: prefixes["database"])

database = Database(
    "database",
    DatabaseArgs(
        env=ctx.env,
        settings=settings,
        account_id=account_id,
        subnet_ids=network.require("database_subnet_ids"),
        availability_zones=network.require("availability_zones"),
        security_group_id=network.require("database_security_group_id"),
        kms_key_arn=key_arns.apply(lambda arns: arns["database"]),
        logs_kms_key_arn=key_arns.apply(lambda arns: arns["logs"]),
        parameter_prefix=database_prefix,
        rotation_subnet_ids=network.require("private_subnet_ids"),
        rotation_security_group_id=network.require("lambda_security_group_id"),
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

publish(
    ctx,
    {
        "db_endpoint": database.endpoint,
        "db_reader_endpoint": database.reader_endpoint,
        "db_proxy_endpoint": database.proxy.endpoint,
        "db_proxy_arn": database.proxy.arn,
        "db_port": database.port,
        "db_name": settings.database_name,
        "db_username": settings.app_username,
        "db_owner_username": settings.owner_username,
        "db_app_username": settings.app_username,
        "db_reader_username": settings.reader_username,
        "db_auth_mode": DB_AUTH_IAM,  # functions sign IAM tokens (app/contract.py)
        "db_reader_resource_ids": database.reader_resource_ids,
        "db_master_secret_arn": database.master_secret.arn,
        "db_connection_limits": DatabaseLimits.from_settings(
            settings.instance_class, settings.replica_class, settings.proxy_max_connections_percent,
            settings.reader_routing, settings.reader_connection_limit,
        ).as_output(),
        "db_parameter_prefix": database_prefix,
        "db_instance_identifier": database.primary.identifier,
        "db_replica_identifiers": [replica.identifier for replica in database.replicas],
        "db_proxy_name": database.proxy.name,
    },
)
