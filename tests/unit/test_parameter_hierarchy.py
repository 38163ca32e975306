"""The parameter hierarchy rules (shared.parameters) and the synth's checks for KMS and SSM values."""

from __future__ import annotations

import pytest

from shared.parameters import ParameterNameError, check_label, parameter_prefixes, parse_parameter_name
from shared.synth.aws_rules import AwsValidationError, validate

pytestmark = pytest.mark.unit


def test_full_and_relative_names_resolve_to_the_same_parameter():
    full = parse_parameter_name("/myapp/prod/api/page_size_max", "prod")
    assert full == parse_parameter_name("api/page_size_max", "prod")
    assert (full.path, full.category, full.kms_alias) == (
        "/myapp/prod/api/page_size_max", "api", "alias/serverless-infra-prod-api")
    assert parameter_prefixes("staging")["database"] == "/myapp/staging/database/"


@pytest.mark.parametrize("name", ["/myapp/staging/api/x", "/myapp/prod/logs/x", "/myapp/prod/api/", "/x/y",
                                  "api/a/b", "api/bad key", "/myapp/prod/api/../database/password"])
def test_names_outside_the_env_hierarchy_are_refused(name):
    with pytest.raises(ParameterNameError):
        parse_parameter_name(name, "prod")


@pytest.mark.parametrize(("label", "ok"), [("current", True), ("release-42", True), ("v1.2_rc", True),
                                           ("1st", False), ("aws-x", False), ("SSM", False), ("a b", False),
                                           ("x" * 101, False)])
def test_labels_follow_ssm_rules(label, ok):
    if ok:
        assert check_label(label) == label
    else:
        with pytest.raises(ParameterNameError):
            check_label(label)


def test_synth_rejects_kms_and_ssm_values_aws_would_refuse():
    validate("aws:kms/key:Key", "k", {"deletionWindowInDays": 30})
    with pytest.raises(AwsValidationError, match="deletionWindowInDays"):
        validate("aws:kms/key:Key", "k", {"deletionWindowInDays": 45})
    with pytest.raises(AwsValidationError, match="alias/aws/"):
        validate("aws:kms/alias:Alias", "a", {"name": "alias/aws/ssm"})
    with pytest.raises(AwsValidationError, match="only valid for a SecureString"):
        validate("aws:ssm/parameter:Parameter", "p", {"name": "/myapp/dev/api/x", "type": "String",
                                                      "keyId": "alias/serverless-infra-dev-api"})
