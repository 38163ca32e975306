"""Deploy-time guards: the applied Lambda quota before compute, queue contents before a compute destroy."""

from __future__ import annotations

import boto3
import pytest
from invoke.exceptions import Exit
from moto import mock_aws

from ops import deploy
from ops.pulumi_cli import Completed, PulumiCli
from ops.queue_guard import check_compute_destroy
from ops.quota import QuotaNotApplied, check_applied_quota
from ops.rollout import RolloutRefused
from shared.accounts import account_budget
from shared.config import Environment

pytestmark = pytest.mark.unit


class ServiceQuotas:
    """GetServiceQuota / ListRequestedServiceQuotaChangeHistoryByQuota, refusing other quota codes."""

    def __init__(self, applied: float, requests: list[dict] | None = None) -> None:
        self.applied, self.requests = applied, requests or []

    def _check(self, ServiceCode: str, QuotaCode: str) -> None:  # noqa: N803 - boto3's names
        assert (ServiceCode, QuotaCode) == ("lambda", "L-B99A9384"), "Lambda concurrent executions only"

    def get_service_quota(self, **kwargs):
        self._check(**kwargs)
        return {"Quota": {"Value": self.applied, "QuotaCode": kwargs["QuotaCode"]}}

    def list_requested_service_quota_change_history_by_quota(self, **kwargs):
        self._check(**kwargs)
        return {"RequestedQuotas": self.requests}


def test_compute_waits_for_the_quota_request_to_be_applied():
    budget = account_budget(Environment.PROD)
    pending = [{"Id": "req-1", "DesiredValue": 1500.0, "Status": "CASE_OPENED"}]
    with pytest.raises(QuotaNotApplied) as caught:
        check_applied_quota(budget, ServiceQuotas(1000.0, pending))
    message = str(caught.value)
    assert "applied is 1000" in message and "1156 + 100 unreserved = 1256" in message
    assert "request req-1 for 1500 is CASE_OPENED" in message
    with pytest.raises(QuotaNotApplied, match="no open request: deploy the security layer of prod"):
        check_applied_quota(budget, ServiceQuotas(1000.0, [{"Id": "old", "Status": "DENIED"}]))
    assert "1500 applied, 1256 needed" in check_applied_quota(budget, ServiceQuotas(1500.0))


@pytest.fixture
def sqs():
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        client.create_queue(QueueName="serverless-infra-staging-orders-dlq")
        client.create_queue(QueueName="serverless-infra-staging-orders")
        yield client


def test_compute_destroy_is_refused_while_queues_hold_messages(sqs):
    assert check_compute_destroy(Environment.STAGING, sqs, proceed=False) is None
    orders = sqs.get_queue_url(QueueName="serverless-infra-staging-orders")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="serverless-infra-staging-orders-dlq")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=orders, MessageBody=f"order {i}")
    sqs.receive_message(QueueUrl=orders, MaxNumberOfMessages=1, VisibilityTimeout=600)
    sqs.send_message(QueueUrl=dlq, MessageBody="dead letter")
    with pytest.raises(RolloutRefused) as caught:
        check_compute_destroy(Environment.STAGING, sqs, proceed=False)
    message = str(caught.value)
    assert "serverless-infra-staging-orders: 2 waiting, 1 in flight, 0 delayed" in message
    assert "serverless-infra-staging-orders-dlq: 1 waiting" in message and "--proceed-with-messages" in message
    note = check_compute_destroy(Environment.STAGING, sqs, proceed=True)
    assert note and "retained queues" in note


class Runner:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], cwd: str, capture: bool) -> Completed:
        self.commands.append(command)
        if command[:3] == ["pulumi", "stack", "ls"]:
            return Completed(0, '[{"name": "staging", "resourceCount": 10}]')
        return Completed(0)


def test_destroy_task_refuses_before_running_pulumi_and_proceeds_when_told(sqs):
    orders = sqs.get_queue_url(QueueName="serverless-infra-staging-orders")["QueueUrl"]
    sqs.send_message(QueueUrl=orders, MessageBody="accepted order")
    runner = Runner()
    cli = PulumiCli(runner, which=lambda _: "/usr/bin/pulumi")
    with pytest.raises(Exit) as caught:
        deploy._run(deploy.Action.DESTROY, "staging", "compute", True, False, cli=cli, sqs=sqs)
    assert "1 waiting" in str(caught.value.message)
    assert not [c for c in runner.commands if c[1] == "destroy"], "nothing may be destroyed after a refusal"
    deploy._run(deploy.Action.DESTROY, "staging", "compute", True, False, cli=cli, sqs=sqs,
                proceed_with_messages=True)
    assert [c for c in runner.commands if c[1] == "destroy"]


def test_unreadable_queues_refuse_rather_than_guess():
    from botocore.exceptions import NoCredentialsError

    class NoCredentials:
        class exceptions:  # noqa: N801 - boto3's shape
            QueueDoesNotExist = KeyError

        def get_queue_url(self, **_):
            raise NoCredentialsError()

    with pytest.raises(RolloutRefused, match="cannot read the orders queue and DLQ message counts"):
        check_compute_destroy(Environment.PROD, NoCredentials(), proceed=False)
    assert "could not be read" in (check_compute_destroy(Environment.PROD, NoCredentials(), proceed=True) or "")
