"""A regional custom domain: ACM certificate validated by DNS in Route 53, TLS 1.2, base path, alias.

The base path mapping maps the stage at the domain's root (``https://{domain}/orders``, while the
execute-api URL is ``https://{id}.execute-api.../{stage}/orders``); the app builds ``Location`` and
job status URLs from the path the client called, so they hold behind both. Regional endpoints need the certificate in the
API's own region ("Set up a regional custom domain name in API Gateway").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.components.api.settings import Domain

TLS_POLICY = "TLS_1_2"


def build_domain(
    name: str,
    domain: Domain,
    rest_api_id: pulumi.Input[str],
    stage: aws.apigateway.Stage,
    parent: pulumi.Resource,
) -> aws.apigateway.DomainName:
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=domain.name,
        validation_method="DNS",
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=False),
    )
    # One domain name -> exactly one validation record; read its fields as Outputs (no resource in apply).
    option = certificate.domain_validation_options[0]
    record = aws.route53.Record(
        f"{name}-certificate-validation-record",
        zone_id=domain.hosted_zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        allow_overwrite=True,
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=child,
    )
    custom = aws.apigateway.DomainName(
        f"{name}-domain",
        domain_name=domain.name,
        regional_certificate_arn=validation.certificate_arn,
        endpoint_configuration=aws.apigateway.DomainNameEndpointConfigurationArgs(types="REGIONAL"),
        security_policy=TLS_POLICY,
        opts=child,
    )
    aws.apigateway.BasePathMapping(
        f"{name}-base-path",
        rest_api=rest_api_id,
        stage_name=stage.stage_name,
        domain_name=custom.domain_name,
        opts=child,
    )
    aws.route53.Record(
        f"{name}-alias",
        zone_id=domain.hosted_zone_id,
        name=domain.name,
        type="A",
        aliases=[
            aws.route53.RecordAliasArgs(
                name=custom.regional_domain_name, zone_id=custom.regional_zone_id, evaluate_target_health=False
            )
        ],
        opts=child,
    )
    return custom
