"""One source per AWS constraint: the settings models and the synth rules refuse the same values
with the same words, and no settings model carries its own copy of a shared check."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from pydantic import BaseModel

import shared.components
from shared import aws_limits, config
from shared.components.network.settings import NetworkSettings
from shared.synth.aws_rules import AwsValidationError, validate

pytestmark = pytest.mark.unit


def _settings_models() -> list[type[BaseModel]]:
    modules = [config]
    for info in pkgutil.walk_packages(shared.components.__path__, "shared.components."):
        if info.name.endswith(".settings"):
            modules.append(importlib.import_module(info.name))
    return [obj for module in modules for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, config.Settings) and obj is not config.Settings]


def test_every_log_retention_setting_uses_the_shared_type():
    fields = [(model.__name__, name, field) for model in _settings_models()
              for name, field in model.model_fields.items() if name.endswith("log_retention_days")]
    assert {f"{model}.{name}" for model, name, _ in fields} >= {
        "NetworkSettings.flow_log_retention_days", "ApiSettings.log_retention_days",
        "ComputeSettings.log_retention_days", "DataSettings.log_retention_days"}
    for model, name, field in fields:
        checks = [getattr(meta, "func", None) for meta in field.metadata]
        assert aws_limits.check_log_retention_days in checks, f"{model}.{name} does not use LogRetentionDays"


def test_settings_and_synth_refuse_a_log_retention_in_the_same_words():
    with pytest.raises(ValueError) as from_settings:
        NetworkSettings.model_validate({"vpcCidr": "10.20.0.0/16", "azCount": 2, "endpointAzCount": 1,
                                        "flowLogRetentionDays": 45})
    with pytest.raises(AwsValidationError) as from_synth:
        validate("aws:cloudwatch/logGroup:LogGroup", "g", {"retentionInDays": 45})
    words = f"CloudWatch Logs accepts only {sorted(aws_limits.LOG_RETENTION_DAYS)}"
    assert words in str(from_settings.value) and words in str(from_synth.value)
    validate("aws:cloudwatch/logGroup:LogGroup", "g", {"retentionInDays": 30})


@pytest.mark.parametrize("batch, window, refused", [(10, 0, False), (11, 0, True), (11, 1, False), (500, 5, False)])
def test_an_sqs_batch_over_ten_needs_a_window_in_the_synth_rule(batch, window, refused):
    inputs = {"eventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q", "functionName": "f",
              "batchSize": batch, "maximumBatchingWindowInSeconds": window}
    if refused:
        with pytest.raises(AwsValidationError, match=f"batchSize {batch} > 10 from SQS needs "
                                                     "maximumBatchingWindowInSeconds >= 1"):
            validate("aws:lambda/eventSourceMapping:EventSourceMapping", "m", inputs)
    else:
        validate("aws:lambda/eventSourceMapping:EventSourceMapping", "m", inputs)


def test_kms_windows_bound_the_settings_and_the_synth_alike():
    from shared.components.security.settings import SecuritySettings

    for days, ok in ((6, False), (7, True), (30, True), (31, False)):
        try:
            SecuritySettings.model_validate({"keyDeletionWindowDays": days})
            settings_ok = True
        except ValueError:
            settings_ok = False
        try:
            validate("aws:kms/key:Key", "k", {"deletionWindowInDays": days})
            synth_ok = True
        except AwsValidationError:
            synth_ok = False
        assert settings_ok is synth_ok is ok, days


_DATA = {"instanceClass": "db.t4g.medium", "allocatedStorageGib": 50, "maxAllocatedStorageGib": 200,
         "multiAz": True, "backupRetentionDays": 7, "replicaCount": 1, "performanceInsights": True}
_PRIMARY = {"instanceClass": "db.t4g.medium", "engine": "postgres", "allocatedStorage": 50, "storageType": "gp3",
            "backupRetentionPeriod": 7, "monitoringInterval": 60,
            "monitoringRoleArn": "arn:aws:iam::123456789012:role/m", "skipFinalSnapshot": True}


# (settings key, instance input, value, accepted by AWS): each value once on each side of a bound.
RDS_CASES = [
    ("backupRetentionDays", "backupRetentionPeriod", 35, True),
    ("backupRetentionDays", "backupRetentionPeriod", 36, False),
    ("performanceInsightsRetentionDays", "performanceInsightsRetentionPeriod", 93, True),
    ("performanceInsightsRetentionDays", "performanceInsightsRetentionPeriod", 90, False),
    ("monitoringIntervalSeconds", "monitoringInterval", 15, True),
    ("monitoringIntervalSeconds", "monitoringInterval", 20, False),
    ("instanceClass", "instanceClass", "db.r7g.large", True),
    ("instanceClass", "instanceClass", "r7g.large", False),
]


@pytest.mark.parametrize("key, wire, value, accepted", RDS_CASES)
def test_rds_bounds_refuse_the_same_values_in_the_settings_and_the_synth(key, wire, value, accepted):
    """The data settings and the synth's RDS rules read one bound from aws_limits: they agree on every value."""
    from shared.components.data.settings import DataSettings

    def settings_accept() -> bool:
        try:
            DataSettings.model_validate({**_DATA, key: value})
        except ValueError:
            return False
        return True

    def synth_accepts() -> bool:
        try:
            validate("aws:rds/instance:Instance", "db", {**_PRIMARY, wire: value})
        except AwsValidationError:
            return False
        return True

    assert settings_accept() is synth_accepts() is accepted


def test_settings_and_synth_read_the_same_rds_rule_in_the_same_words():
    from shared.components.data.settings import DataSettings

    with pytest.raises(ValueError) as from_settings:
        DataSettings.model_validate({**_DATA, "performanceInsightsRetentionDays": 30})
    with pytest.raises(AwsValidationError) as from_synth:
        validate("aws:rds/instance:Instance", "db", {**_PRIMARY, "performanceInsightsRetentionPeriod": 30})
    words = "Performance Insights keeps 7 days (free), a multiple of 31 up to 713, or 731"
    assert words in str(from_settings.value) and words in str(from_synth.value)
    with pytest.raises(ValueError) as from_settings:
        DataSettings.model_validate({**_DATA, "monitoringIntervalSeconds": 45})
    with pytest.raises(AwsValidationError) as from_synth:
        validate("aws:rds/instance:Instance", "db", {**_PRIMARY, "monitoringInterval": 45})
    words = f"RDS enhanced monitoring accepts {sorted(aws_limits.RDS_MONITORING_INTERVALS)} seconds (0: off)"
    assert words in str(from_settings.value) and words in str(from_synth.value)


# (settings model, its key, synth token, the synth input, value, accepted by AWS)
COMPUTE_CASES = [
    ("QueueSettings", "messageRetentionSeconds", "aws:sqs/queue:Queue", "messageRetentionSeconds", 60, True),
    ("QueueSettings", "messageRetentionSeconds", "aws:sqs/queue:Queue", "messageRetentionSeconds", 59, False),
    ("QueueSettings", "dlqVisibilityTimeoutSeconds", "aws:sqs/queue:Queue", "visibilityTimeoutSeconds", 43_201,
     False),
    ("QueueSettings", "batchSize", "aws:lambda/eventSourceMapping:EventSourceMapping", "batchSize", 10_000, True),
    ("QueueSettings", "batchSize", "aws:lambda/eventSourceMapping:EventSourceMapping", "batchSize", 10_001, False),
    ("AsyncInvokeSettings", "maximumRetryAttempts",
     "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "maximumRetryAttempts", 3, False),
    ("AsyncInvokeSettings", "maximumEventAgeSeconds",
     "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "maximumEventAgeSeconds", 21_600, True),
]


@pytest.mark.parametrize("model, key, token, wire, value, accepted", COMPUTE_CASES)
def test_compute_bounds_refuse_the_same_values_in_the_settings_and_the_synth(model, key, token, wire, value,
                                                                            accepted):
    from shared.components.compute import settings as compute

    base = {"maxConcurrency": 10, "batchingWindowSeconds": 5} if model == "QueueSettings" else {}
    try:
        getattr(compute, model).model_validate({**base, key: value})
        settings_ok = True
    except ValueError:
        settings_ok = False
    inputs = {"eventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q", "functionName": "f",
              "maximumBatchingWindowInSeconds": 5, wire: value}
    try:
        validate(token, "r", inputs)
        synth_ok = True
    except AwsValidationError:
        synth_ok = False
    assert settings_ok is synth_ok is accepted
