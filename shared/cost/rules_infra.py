"""Pricing rules for the network, security and data layers' resource types."""

from __future__ import annotations

from shared.config import ConfigError
from shared.cost.model import GIB, Context, LineItem, Rule, ceil_div, item, money
from shared.synth.graph import GraphResource

# vCPUs per RDS class (RDS Proxy bills per vCPU of its targets; Performance Insights' paid retention
# per vCPU). Source: https://aws.amazon.com/rds/instance-types/ (t4g: 2 vCPU up to large, xlarge 4).
RDS_VCPUS = {
    "db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.t4g.large": 2, "db.t4g.xlarge": 4,
    "db.t4g.2xlarge": 8, "db.m7g.large": 2, "db.m7g.xlarge": 4, "db.r7g.large": 2, "db.r7g.xlarge": 4,
}
# RDS Proxy bills at least 2 vCPUs per proxy (https://aws.amazon.com/rds/proxy/pricing/).
PROXY_MIN_VCPUS = 2
# RDS storage autoscaling grows the volume when free space falls below 10% of it
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html).
AUTOSCALING_FREE_SHARE = 0.10
# Performance Insights keeps 7 days free (https://aws.amazon.com/rds/performance-insights/pricing/).
PI_FREE_DAYS = 7


def interface_endpoint(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    if r.input("vpcEndpointType") != "Interface":
        return [item(layer, r, "gateway endpoint", 0.0, "gateway endpoints are free")]
    azs = len(r.input("subnetIds") or [])
    usd = ctx.monthly(ctx.p.vpc_interface_endpoint_az_hour, azs)
    service = str(r.input("serviceName", "")).rsplit(".", 1)[-1]
    items = [item(layer, r, f"{service} interface endpoint", usd,
                  f"{azs} AZ x {ctx.prices.hours_per_month:g} h x ${ctx.p.vpc_interface_endpoint_az_hour.usd}")]
    if service == "sqs":  # the async orders cross this endpoint; other endpoints carry a few KB of config
        b = ctx.profile.batch
        gib = b.async_records_per_day * ctx.traffic.days * b.record_bytes / GIB
        rate = ctx.p.vpc_endpoint_data_gb.usd
        items.append(item(layer, r, "endpoint data processed", gib * rate, f"{gib:,.3f} GiB x ${rate}", usage=True))
    return items


def nat_gateway(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    hours = ctx.monthly(ctx.p.nat_gateway_hour)
    gib = ctx.profile.nat_gib_per_month
    return [item(layer, r, "NAT gateway hours", hours, f"{ctx.prices.hours_per_month:g} h x ${ctx.p.nat_gateway_hour.usd}"),
            item(layer, r, "NAT data processed", gib * ctx.p.nat_gateway_data_gb.usd,
                 f"{gib:g} GiB x ${ctx.p.nat_gateway_data_gb.usd}", usage=True)]


def elastic_ip(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    return [item(layer, r, "public IPv4 address", ctx.monthly(ctx.p.public_ipv4_hour),
                 f"{ctx.prices.hours_per_month:g} h x ${ctx.p.public_ipv4_hour.usd}")]


def kms_key(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    return [item(layer, r, "KMS key", ctx.p.kms_key_month.usd, f"1 key x ${ctx.p.kms_key_month.usd}/month")]


def secret(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    usd = ctx.p.secrets_manager_secret_month.usd
    return [item(layer, r, "Secrets Manager secret", usd, f"${usd}/secret-month")]


def ssm_parameter(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    # Standard parameters are free; Advanced costs $0.05/parameter-month (https://aws.amazon.com/systems-manager/pricing/).
    if r.input("tier", "Standard") == "Standard":
        return []
    return [item(layer, r, "Advanced parameter", 0.05, "$0.05/parameter-month")]


def _instance_class_price(ctx: Context, instance_class: str) -> float:
    price = ctx.p.rds_postgres_hour.get(instance_class)
    if price is None:
        raise ConfigError(f"config/prices.yaml: key 'prices.rdsPostgresHour.{instance_class}' is missing: "
                          f"the graph has a {instance_class} instance; add its price with its source")
    return price.usd


def _source_instance(ctx: Context, r: GraphResource) -> GraphResource | None:
    source = r.input("replicateSourceDb")
    for _, other in ctx.resources("aws:rds/instance:Instance"):
        if source and other.input("identifier") == source:
            return other
    return None


def _allocated_gib(ctx: Context, r: GraphResource) -> tuple[float, str]:
    """Storage at the profile's horizon: the allocated size, grown by autoscaling as the data grows."""
    source = _source_instance(ctx, r)
    allocated = r.input("allocatedStorage") or (source.input("allocatedStorage") if source else None) or 20
    ceiling = r.input("maxAllocatedStorage") or (source.input("maxAllocatedStorage") if source else None) or allocated
    data = ctx.data_at_horizon_gib()
    needed = data / (1 - AUTOSCALING_FREE_SHARE)
    size = max(float(allocated), min(float(ceiling), float(ceil_div(needed, 1))))
    if needed > ceiling:
        ctx.warnings.append(f"{r.name}: {data:g} GiB of data at the horizon exceed maxAllocatedStorage {ceiling:g} GiB")
    basis = f"{size:g} GiB" + (f" (grown from {allocated:g} for {data:g} GiB of data)" if size > allocated else "")
    return size, basis


def rds_instance(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    cls = str(r.input("instanceClass"))
    copies = 2 if r.input("multiAz") else 1
    hourly = _instance_class_price(ctx, cls)
    hours = ctx.prices.hours_per_month
    az = "Multi-AZ" if copies == 2 else "single-AZ"
    items = [item(layer, r, "DB instance hours", hourly * hours * copies, f"{cls} {az}: {copies} x {hours:g} h x ${hourly}")]
    size, size_basis = _allocated_gib(ctx, r)
    gp3 = ctx.p.rds_gp3_gb_month.usd
    items.append(item(layer, r, "gp3 storage", size * gp3 * copies, f"{copies} x {size_basis} x ${gp3}",
                      usage=size > (r.input("allocatedStorage") or size)))
    items += _backup(layer, r, ctx, size)
    items += _performance_insights(layer, r, ctx, cls)
    items += _enhanced_monitoring(layer, r, ctx)
    return items


def _backup(layer: str, r: GraphResource, ctx: Context, size: float) -> list[LineItem]:
    """Backup storage beyond the free allowance (100% of provisioned storage; we count the instance's own)."""
    days = r.input("backupRetentionPeriod") or 0
    if not days:
        return []
    d = ctx.profile.data
    data = ctx.data_at_horizon_gib()
    backup = data + days * data * d.daily_change_share
    billable = max(0.0, backup - size)
    rate = ctx.p.rds_backup_gb_month.usd
    basis = (f"({data:g} + {days:g} d x {d.daily_change_share:g} x {data:g}) GiB - {size:g} GiB free"
             f" = {billable:g} GiB x ${rate}")
    return [item(layer, r, "backup storage beyond free", billable * rate, basis, usage=True)]


def _performance_insights(layer: str, r: GraphResource, ctx: Context, cls: str) -> list[LineItem]:
    if not r.input("performanceInsightsEnabled"):
        return []
    days = r.input("performanceInsightsRetentionPeriod") or PI_FREE_DAYS
    if days <= PI_FREE_DAYS:
        return [item(layer, r, "Performance Insights", 0.0, "7 days: free tier")]
    vcpus = RDS_VCPUS.get(cls, 2)
    rate = ctx.p.rds_performance_insights_vcpu_month.usd
    return [item(layer, r, "Performance Insights", vcpus * rate, f"{days:g} days kept: {vcpus} vCPU x ${rate}")]


def _enhanced_monitoring(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    interval = r.input("monitoringInterval") or 0
    if not interval:
        return []
    gib = ctx.seconds_per_month / interval * ctx.profile.logs.enhanced_monitoring_bytes_per_sample / GIB
    rate = ctx.p.logs_ingest_gb.usd
    return [item(layer, r, "enhanced monitoring (RDSOSMetrics logs)", gib * rate,
                 f"{ctx.seconds_per_month:g} s / {interval:g} s x {ctx.profile.logs.enhanced_monitoring_bytes_per_sample} B"
                 f" = {gib:.3f} GiB x ${rate}", usage=True)]


def rds_proxy(layer: str, r: GraphResource, ctx: Context) -> list[LineItem]:
    name = r.input("name")
    identifiers = [t.input("dbInstanceIdentifier") for _, t in ctx.resources("aws:rds/proxyTarget:ProxyTarget")
                   if t.input("dbProxyName") == name]
    vcpus = 0
    for _, instance in ctx.resources("aws:rds/instance:Instance"):
        if instance.input("identifier") in identifiers:
            vcpus += RDS_VCPUS.get(str(instance.input("instanceClass")), 2)
    billed = max(PROXY_MIN_VCPUS, vcpus)
    rate = ctx.p.rds_proxy_vcpu_hour.usd
    return [item(layer, r, "RDS Proxy", ctx.monthly(ctx.p.rds_proxy_vcpu_hour, billed),
                 f"max({PROXY_MIN_VCPUS}, {vcpus}) vCPU of targets x {ctx.prices.hours_per_month:g} h x ${rate} "
                 f"({money(rate * ctx.prices.hours_per_month)}/vCPU)")]


RULES: dict[str, Rule] = {
    "aws:ec2/vpcEndpoint:VpcEndpoint": interface_endpoint,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:kms/key:Key": kms_key,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:ssm/parameter:Parameter": ssm_parameter,
    "aws:rds/instance:Instance": rds_instance,
    "aws:rds/proxy:Proxy": rds_proxy,
}
