"""Which interface endpoints the VPC needs, and who inside the VPC calls each one.

An interface endpoint costs $7.30 per AZ-month whether or not anything uses it, so each one must
name a caller inside the VPC (tests check the callers against the app code and the graph). What
AWS services do on our behalf does not cross our subnets and needs no endpoint:

* ``kms``: nothing in the VPC calls KMS. SSM decrypts SecureStrings, SQS encrypts messages and
  Secrets Manager decrypts the proxy's secret by calling KMS themselves (the key policies and the
  config-read policy allow it only through them, ``kms:ViaService``); Lambda decrypts environment
  variables before the handler runs. [https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service]
* ``logs`` and ``monitoring``: the functions write logs and EMF metrics to stdout; the Lambda
  service ships them to CloudWatch Logs, which extracts the metrics. Nothing calls PutLogEvents or
  PutMetricData. RDS exports its logs and VPC flow logs are delivered by the services themselves.
  [https://docs.aws.amazon.com/lambda/latest/operatorguide/networking-vpc.html;
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format.html]
* ``xray``: the SDK sends segments over UDP to the X-Ray daemon that Lambda runs beside the
  function (``AWS_XRAY_DAEMON_ADDRESS``, a link-local address), and Lambda forwards them; tracing of
  VPC functions worked before X-Ray had VPC endpoints at all (they launched in May 2021; a VPC
  function's traces arriving in 2019: aws/aws-xray-daemon#26).
  [https://docs.aws.amazon.com/xray/latest/devguide/xray-services-lambda.html;
  https://aws.amazon.com/about-aws/whats-new/2021/05/aws-x-ray-now-supports-vpc-endpoints/]
* ``rds``: the app signs RDS IAM auth tokens locally (``generate_db_auth_token`` makes no call).
  [https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html]
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EndpointNeed:
    callers: tuple[str, ...]  # what runs in the VPC and calls the service
    calls: tuple[str, ...]  # the IAM actions of the calls it makes
    why: str


# service -> who calls it from inside the VPC. Function roles are the compute layer's function keys.
INTERFACE_ENDPOINT_CALLERS: dict[str, EndpointNeed] = {
    "ssm": EndpointNeed(
        callers=("function:api", "function:worker", "function:dlq-analyzer", "function:migrate"),
        calls=("ssm:GetParametersByPath", "ssm:GetParameters"),
        why="app/config.py loads /myapp/{env}/{database,api,cache}/ on a cold start and every TTL",
    ),
    "sqs": EndpointNeed(
        callers=("function:api",),
        calls=("sqs:SendMessage",),  # the IAM action that authorizes SendMessageBatch
        why="app/queue.py enqueues one message per order for POST /orders/async",
    ),
    "secretsmanager": EndpointNeed(
        callers=("function:migrate", "secret-rotation"),
        calls=("secretsmanager:GetSecretValue",),
        why="app/handlers/migrate.py reads the master secret to bootstrap the database roles, and the "
            "master secret's rotation function (SAR, in the VPC) rotates it through the endpoint; "
            "RDS Proxy itself signs in with IAM end to end and reads no secret",
    ),
}

# boto3 clients the app creates that make no network call from the VPC (see the module docstring).
LOCAL_ONLY_CLIENTS = {"rds": "generate_db_auth_token signs locally"}

REQUIRED_INTERFACE_ENDPOINTS: tuple[str, ...] = tuple(INTERFACE_ENDPOINT_CALLERS)
