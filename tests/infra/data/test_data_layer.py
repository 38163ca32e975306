"""The data layer per env, on the synthesized graph: placement, encryption, HA, backups, TLS, proxy."""

from __future__ import annotations

import json

import pytest

from app.contract import DATABASE_KEYS
from shared.synth import fake_aws
from shared.synth.crossguard import violations
from shared.synth.graph import SECRET_MASK
from shared.synth.render import layer_config

pytestmark = pytest.mark.synth

INSTANCE = "aws:rds/instance:Instance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
PROXY = "aws:rds/proxy:Proxy"
PARAMETER = "aws:ssm/parameter:Parameter"
PASSWORD = "random:index/randomPassword:RandomPassword"
ROLE = "aws:iam/role:Role"
APP_KEYS = set(DATABASE_KEYS)  # what app/config.py reads (app/contract.py)


def stack_settings(env: str) -> dict:
    return layer_config("data", env)


def instances(graph) -> tuple[object, list]:
    primary = [i for i in graph.of_type(INSTANCE) if not i.inputs.get("replicateSourceDb")]
    assert len(primary) == 1
    return primary[0], [i for i in graph.of_type(INSTANCE) if i.inputs.get("replicateSourceDb")]


def database_key(system) -> str:
    return system["security"].exports["kms_key_arns"]["database"]


def subnet_zones(network) -> dict[str, str]:
    return {s.id: s.inputs["availabilityZone"] for s in network.of_type("aws:ec2/subnet:Subnet")}


def parameters(graph) -> dict[str, object]:
    prefix = graph.exports["db_parameter_prefix"]
    return {p.inputs["name"].removeprefix(prefix): p for p in graph.of_type(PARAMETER)}


def test_instances_are_private_encrypted_with_the_database_key_and_monitored(synth, env):
    system = synth(env)
    graph, key = system["data"], database_key(system)
    monitoring_role = graph.one(ROLE, "database-monitoring-role")
    for db in graph.of_type(INSTANCE):
        assert db.inputs["publiclyAccessible"] is False
        assert db.inputs["storageEncrypted"] is True
        # the primary names the key; a same-region replica inherits it (RDS refuses KmsKeyId on it)
        assert db.inputs.get("kmsKeyId") == (None if db.inputs.get("replicateSourceDb") else key)
        assert db.inputs["storageType"] == "gp3"
        assert db.inputs["maxAllocatedStorage"] == stack_settings(env)["maxAllocatedStorageGib"]
        assert db.inputs["vpcSecurityGroupIds"] == [system["network"].exports["database_security_group_id"]]
        assert db.inputs["iamDatabaseAuthenticationEnabled"] is True
        assert db.inputs["autoMinorVersionUpgrade"] is True and db.inputs["copyTagsToSnapshot"] is True
        assert db.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
        assert db.inputs["monitoringInterval"] > 0
        assert db.inputs["monitoringRoleArn"] == monitoring_role.outputs["arn"]
        if stack_settings(env)["performanceInsights"]:
            assert db.inputs["performanceInsightsEnabled"] is True
            assert db.inputs["performanceInsightsKmsKeyId"] == key
            assert db.inputs["performanceInsightsRetentionPeriod"] == 7
    trust = monitoring_role.json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attachment = graph.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"].endswith("service-role/AmazonRDSEnhancedMonitoringRole")


def test_multi_az_and_replica_count_follow_the_stack_file(synth, env):
    graph, settings = synth(env)["data"], stack_settings(env)
    primary, replicas = instances(graph)
    assert primary.inputs["multiAz"] is settings["multiAz"]
    assert len(replicas) == settings["replicaCount"]
    assert primary.inputs["engineVersion"] == str(settings["engineMajorVersion"])
    assert primary.inputs["instanceClass"] == settings["instanceClass"]
    if env == "prod":
        assert settings["multiAz"] and len(replicas) >= 1
    else:
        assert not settings["multiAz"] and replicas == []
        assert primary.inputs["availabilityZone"] == synth(env)["network"].exports["availability_zones"][0]


def test_replicas_sit_outside_the_primary_and_standby_zones(synth):
    system = synth("prod")
    graph, zones_of = system["data"], subnet_zones(system["network"])
    primary, replicas = instances(graph)
    assert (
        "availabilityZone" not in primary.inputs
    )  # AWS refuses an AZ for Multi-AZ: the subnet group pins it
    group = next(
        g for g in graph.of_type(SUBNET_GROUP) if g.inputs["name"] == primary.inputs["dbSubnetGroupName"]
    )
    primary_zones = {zones_of[s] for s in group.inputs["subnetIds"]}
    assert len(primary_zones) == 2
    for replica in replicas:
        assert replica.inputs["replicateSourceDb"] == primary.inputs["identifier"]
        assert replica.inputs["availabilityZone"] not in primary_zones
        assert replica.inputs["availabilityZone"] in system["network"].exports["availability_zones"]
        assert replica.inputs["backupRetentionPeriod"] == layer_config("data", "prod")["replicaBackupRetentionDays"]
        assert replica.inputs["skipFinalSnapshot"] is True
        assert "finalSnapshotIdentifier" not in replica.inputs


def test_backups_final_snapshot_and_deletion_protection(synth, env):
    graph, settings = synth(env)["data"], stack_settings(env)
    primary, _ = instances(graph)
    assert primary.inputs["backupRetentionPeriod"] == settings["backupRetentionDays"]
    assert primary.inputs["backupWindow"] == settings["backupWindow"]
    assert primary.inputs["maintenanceWindow"] == settings["maintenanceWindow"]
    if not settings.get("finalSnapshot", True):
        # Disposable data (dev): no final snapshot, so no name to collide on the next destroy.
        assert primary.inputs["skipFinalSnapshot"] is True and "finalSnapshotIdentifier" not in primary.inputs
    else:
        # A fixed name fails the second destroy (DBSnapshotAlreadyExists): the suffix is a RandomId that is
        # created with the instance and replaced with it (same keepers as the instance's identity).
        assert primary.inputs["skipFinalSnapshot"] is False
        (suffix,) = graph.of_type("random:index/randomId:RandomId")
        assert suffix.inputs["keepers"]["identifier"] == primary.inputs["identifier"]
        assert primary.inputs["finalSnapshotIdentifier"] == (
            f"{primary.inputs['identifier']}-final-{suffix.outputs['hex']}")
        assert suffix.urn in primary.dependencies
    assert primary.inputs["deletionProtection"] is (env == "prod")
    if env == "prod":
        assert primary.inputs["backupRetentionPeriod"] >= 7
        assert primary.inputs["deleteAutomatedBackups"] is False


def test_tls_is_forced_by_the_parameter_group_and_the_proxy(synth, env):
    graph = synth(env)["data"]
    group = graph.one(PARAMETER_GROUP)
    values = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert values["rds.force_ssl"] == "1"
    methods = {p["name"]: p["applyMethod"] for p in group.inputs["parameters"]}
    assert methods == {"rds.force_ssl": "pending-reboot", "log_min_duration_statement": "immediate"}
    assert int(values["log_min_duration_statement"]) == stack_settings(env)["logMinDurationMs"]
    primary, _ = instances(graph)
    assert group.inputs["family"] == f"postgres{primary.inputs['engineVersion']}"
    assert all(db.inputs["parameterGroupName"] == group.inputs["name"] for db in graph.of_type(INSTANCE))
    assert graph.one(PROXY).inputs["requireTls"] is True


def test_proxy_sits_in_the_database_subnets_and_pools_the_primary(synth, env):
    system = synth(env)
    graph, network = system["data"], system["network"]
    proxy = graph.one(PROXY)
    assert proxy.inputs["engineFamily"] == "POSTGRESQL"
    assert proxy.inputs["vpcSubnetIds"] == network.exports["database_subnet_ids"]
    assert proxy.inputs["vpcSecurityGroupIds"] == [network.exports["database_security_group_id"]]
    # End-to-end IAM: no secret per user, nothing the proxy holds that a rotation could invalidate.
    assert proxy.inputs["defaultAuthScheme"] == "IAM_AUTH" and not proxy.inputs.get("auths")
    assert stack_settings(env)["proxyIamAuth"] == "REQUIRED"
    role_policy = graph.one("aws:iam/rolePolicy:RolePolicy")
    assert role_policy.urn in proxy.dependencies
    pool = graph.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup").inputs["connectionPoolConfig"]
    assert pool["maxConnectionsPercent"] == stack_settings(env)["proxyMaxConnectionsPercent"]
    assert pool["maxIdleConnectionsPercent"] <= pool["maxConnectionsPercent"]
    assert 0 < pool["connectionBorrowTimeout"] <= 30
    target = graph.one("aws:rds/proxyTarget:ProxyTarget")
    primary, _ = instances(graph)
    assert target.inputs["dbInstanceIdentifier"] == primary.inputs["identifier"]
    assert graph.exports["db_proxy_endpoint"] == proxy.outputs["endpoint"]
    assert graph.exports["db_proxy_arn"] == proxy.outputs["arn"]


def test_password_is_a_secret_everywhere_and_appears_nowhere(synth, env):
    system = synth(env)
    graph = system["data"]
    password = graph.one(PASSWORD)
    assert password.inputs["length"] >= 16
    assert not set('/"@ ') & set(password.inputs["overrideSpecial"])
    _, fake = fake_aws.fake_resource(password.type, password.name, password.urn, password.inputs)
    assert fake["result"] not in graph.to_json() and fake["result"] not in json.dumps(graph.exports)
    assert password.outputs["result"] == SECRET_MASK
    primary, _ = instances(graph)
    assert "password" in primary.secret_inputs and primary.inputs["password"] == SECRET_MASK
    assert password.urn in primary.dependencies
    # The master password reaches the break-glass secret only: not SSM, where every function could read it.
    assert "password" not in parameters(graph)
    secret = graph.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == f"serverless-infra-{env}-db-master-credentials"
    assert secret.inputs["kmsKeyId"] == database_key(system)
    version = graph.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" in version.secret_inputs and password.urn in version.dependencies
    assert graph.exports["db_master_secret_arn"] == secret.outputs["arn"]
    assert graph.secret_exports == []  # nothing secret is published, so nothing can leak downstream


def test_master_secret_rotates_on_a_schedule_without_touching_the_proxy(synth, env):
    """The proxy holds no secret (end-to-end IAM), so rotating the master's cannot break it; the rotation
    function is AWS's single-user PostgreSQL one, next to the functions (private subnets, Lambda SG)."""
    system = synth(env)
    graph, network = system["data"], system["network"]
    secret = graph.one("aws:secretsmanager/secret:Secret")
    rotation = graph.one("aws:secretsmanager/secretRotation:SecretRotation")
    assert rotation.inputs["secretId"] == secret.outputs["arn"]
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == stack_settings(env).get("masterRotationDays", 30)
    stack = graph.one("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert stack.inputs["applicationId"].endswith(":297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser")
    assert rotation.inputs["rotationLambdaArn"] == stack.outputs["outputs"]["RotationLambdaARN"]
    params = stack.inputs["parameters"]
    assert params["vpcSubnetIds"].split(",") == network.exports["private_subnet_ids"]
    assert params["vpcSecurityGroupIds"] == network.exports["lambda_security_group_id"]
    assert params["kmsKeyArn"] == database_key(system) == secret.inputs["kmsKeyId"]
    assert not set('/@"') - set(params["excludeCharacters"])  # RDS refuses these in master passwords
    version = graph.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" in version.secret_inputs  # engine/host/port/dbname/username/password, masked
    proxy_policy = graph.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")
    assert {a for s in proxy_policy["Statement"] for a in s["Action"]} == {"rds-db:connect"}


def test_rotation_can_be_turned_off(render_variant):
    graph = render_variant("data", "dev", {"serverless-infra-data:masterRotationDays": 0})
    assert graph.of_type("aws:secretsmanager/secretRotation:SecretRotation") == []
    assert graph.of_type("aws:serverlessrepository/cloudFormationStack:CloudFormationStack") == []


def test_app_parameters_under_the_database_hierarchy_with_the_database_key(synth, env):
    system = synth(env)
    graph = system["data"]
    prefix = system["security"].exports["parameter_prefixes"]["database"]
    assert prefix == f"/myapp/{env}/database/" == graph.exports["db_parameter_prefix"]
    found = parameters(graph)
    assert set(found) == APP_KEYS
    for parameter in found.values():
        assert parameter.inputs["type"] == "SecureString"
        assert parameter.inputs["keyId"] == database_key(system)
    proxy = graph.one(PROXY)
    for key in ("host",):  # writes go through the proxy
        assert proxy.urn in found[key].dependencies, key
    _, replicas = instances(graph)
    reader = replicas[0] if stack_settings(env)["readerRouting"] == "replica" else proxy
    assert reader.urn in found["reader_host"].dependencies



def test_exports_point_at_the_instances(synth, env):
    graph = synth(env)["data"]
    primary, replicas = instances(graph)
    assert graph.exports["db_endpoint"] == primary.outputs["address"]
    reader = replicas[0] if replicas else primary
    assert graph.exports["db_reader_endpoint"] == reader.outputs["address"]
    assert graph.exports["db_port"] == 5432
    assert graph.exports["db_name"] == primary.inputs["dbName"]
    assert graph.exports["db_username"] == graph.exports["db_app_username"] == "app_user"
    assert graph.exports["db_owner_username"] == "app_owner"
    assert graph.exports["db_reader_username"] == "app_reader"
    assert primary.inputs["username"] == "app_admin"  # the master: break-glass only, no function signs in as it
    routed = stack_settings(env)["readerRouting"] == "replica"
    assert graph.exports["db_reader_resource_ids"] == ([replicas[0].outputs["resourceId"]] if routed else [])


def test_roles_are_least_privilege(synth, env):
    graph = synth(env)["data"]
    assert violations(graph, "iam-least-privilege") == []
    policy = graph.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")
    (statement,) = policy["Statement"]  # the proxy may sign in as the owner and app roles, nothing else
    primary, _ = instances(graph)
    resource_id = primary.outputs["resourceId"]
    assert statement["Action"] == ["rds-db:connect"]
    assert statement["Resource"] == [
        f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/{user}" for user in ("app_owner", "app_user")
    ]
    proxy_trust = graph.one(ROLE, "database-proxy-role").json_input("assumeRolePolicy")["Statement"]
    assert proxy_trust == [{"Sid": "TrustService", "Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]  # what AWS documents: RDS Proxy sends no source keys
    # Enhanced monitoring documents aws:SourceArn/SourceAccount (USER_Monitoring.OS.confused-deputy): pinned.
    monitoring = graph.one(ROLE, "database-monitoring-role").json_input("assumeRolePolicy")["Statement"][0]
    assert monitoring["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:rds:us-east-1:")


def test_exported_logs_have_retention_and_the_logs_key(synth, env):
    graph = synth(env)["data"]
    groups = {g.inputs["name"]: g for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for db in graph.of_type(INSTANCE):
        for export in ("postgresql", "upgrade"):
            group = groups[f"/aws/rds/instance/{db.inputs['identifier']}/{export}"]
            assert group.inputs["retentionInDays"] == stack_settings(env)["logRetentionDays"]
            assert group.inputs["kmsKeyId"] == synth(env)["security"].exports["kms_key_arns"]["logs"]
            assert group.urn in db.dependencies


def test_a_dev_replica_goes_to_another_zone_and_can_serve_the_app_reads(render_variant, synth):
    graph = render_variant(
        "data",
        "dev",
        {"serverless-infra-data:replicaCount": 1, "serverless-infra-data:readerRouting": "replica",
         "serverless-infra-data:readerConnectionLimit": 50},
    )
    primary, replicas = instances(graph)
    assert len(replicas) == 1
    assert replicas[0].inputs["availabilityZone"] != primary.inputs["availabilityZone"]
    assert replicas[0].urn in parameters(graph)["reader_host"].dependencies
    assert graph.exports["db_reader_endpoint"] == replicas[0].outputs["address"]
    assert graph.exports["db_reader_resource_ids"] == [replicas[0].outputs["resourceId"]]
    assert graph.exports["db_connection_limits"]["replica_reader_cap"] == 50


@pytest.mark.parametrize(
    ("env_name", "overrides", "expected"),
    [
        ("dev", {"backupRetentionDays": 36}, "'backupRetentionDays' = 36"),
        ("dev", {"replicaCount": 1, "backupRetentionDays": 0}, "'replicaCount' = 1"),
        ("prod", {"multiAz": False}, "'multiAz' = False: prod runs Multi-AZ"),
    ],
)
def test_bad_data_config_names_key_value_and_file(render_variant, env_name, overrides, expected):
    from shared.synth.runner import SynthError

    config = {f"serverless-infra-data:{k}": v for k, v in overrides.items()}
    with pytest.raises(SynthError) as caught:
        render_variant("data", env_name, config)
    assert f"projects/data/Pulumi.{env_name}.yaml" in str(caught.value) and expected in str(caught.value)
