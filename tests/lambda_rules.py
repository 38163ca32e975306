"""moto's Lambda plus the AWS rules an alias-moving procedure depends on, which moto does not enforce.

moto already refuses nothing when PublishVersion would publish an unchanged function: it returns the last
version (AWS: "Lambda doesn't publish a version if the function's configuration and code haven't
changed since the last version", PublishVersion API reference). This wrapper adds:

* an update leaves ``LastUpdateStatus`` InProgress until someone polls it, and PublishVersion /
  UpdateFunctionConfiguration meanwhile raise ResourceConflictException ("The operation cannot be
  performed at this time. An update is in progress for resource", Lambda function states);
* PublishVersion's ``CodeSha256`` and ``RevisionId`` guards ("Only publish a version if the hash value
  matches"; PreconditionFailedException when the revision id does not match);
* GetProvisionedConcurrencyConfig (moto: not implemented): none configured, as AWS answers then.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from botocore.exceptions import ClientError

FUNCTIONS = ("api", "worker", "dlq-analyzer", "migrate")


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class StrictLambda:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._in_progress: set[str] = set()
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def update_function_configuration(self, **kwargs: Any) -> dict:
        name = kwargs["FunctionName"]
        if name in self._in_progress:
            raise _error("ResourceConflictException", f"An update is in progress for resource: {name}",
                         "UpdateFunctionConfiguration")
        response = self._client.update_function_configuration(**kwargs)
        self._in_progress.add(name)
        return {**response, "LastUpdateStatus": "InProgress"}

    def get_function_configuration(self, **kwargs: Any) -> dict:
        response = self._client.get_function_configuration(**kwargs)
        name = kwargs["FunctionName"]
        if kwargs.get("Qualifier") in (None, "$LATEST") and name in self._in_progress:
            self._in_progress.discard(name)  # done by the time someone looks again
            return {**response, "LastUpdateStatus": "InProgress"}
        return response

    def get_waiter(self, name: str) -> Any:
        assert name == "function_updated", name
        strict = self

        class Waiter:
            def wait(self, FunctionName: str) -> None:  # noqa: N803 - boto's spelling
                for _ in range(10):
                    if strict.get_function_configuration(FunctionName=FunctionName).get(
                            "LastUpdateStatus", "Successful") == "Successful":
                        return
                raise AssertionError("update never finished")

        return Waiter()

    def publish_version(self, **kwargs: Any) -> dict:
        name = kwargs["FunctionName"]
        if name in self._in_progress:
            raise _error("ResourceConflictException", f"An update is in progress for resource: {name}",
                         "PublishVersion")
        latest = self._client.get_function_configuration(FunctionName=name)
        if "CodeSha256" in kwargs and kwargs["CodeSha256"] != latest["CodeSha256"]:
            raise _error("InvalidParameterValueException", "CodeSHA256 does not match", "PublishVersion")
        if "RevisionId" in kwargs and kwargs["RevisionId"] != latest.get("RevisionId"):
            raise _error("PreconditionFailedException", "The RevisionId provided does not match", "PublishVersion")
        return self._client.publish_version(**{k: v for k, v in kwargs.items() if k != "RevisionId"})

    def get_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str) -> dict:  # noqa: N803
        raise self._client.exceptions.ProvisionedConcurrencyConfigNotFoundException(
            {"Error": {"Code": "ProvisionedConcurrencyConfigNotFoundException", "Message": "No config"}},
            "GetProvisionedConcurrencyConfig")


def app_zip(body: str = "v1") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("app/handler.py", date_time=(1980, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


def deploy_functions(client: Any, iam: Any, env: str, variables: dict[str, str] | None = None) -> None:
    """What a compute deploy leaves: each function at v1 with its environment, ``live`` -> v1."""
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    for short in FUNCTIONS:
        name = f"serverless-infra-{env}-{short}"
        client.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler.h",
                               Code={"ZipFile": app_zip()}, Publish=False,
                               Environment={"Variables": {"APP_ENV": env, "FN": short, **(variables or {})}})
        client.publish_version(FunctionName=name, Description="deploy 1")
        client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
