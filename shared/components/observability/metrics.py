"""Typed metrics: every metric an alarm or a dashboard names is built here, and checked when it is built.

Three kinds, each with one source of truth:

* AWS metrics (``AWS/...``): only those `shared.aws_metrics` lists, with a dimension set AWS documents;
* the app's own EMF metrics (Powertools Metrics, namespace ``app.contract.metrics_namespace(env)``, the
  value compute gives POWERTOOLS_METRICS_NAMESPACE): only those in `APP_METRICS`, a catalogue that
  ``tests/infra/observability/test_observability_metrics_emitted.py`` proves by running the real handlers
  and capturing what they emit;
* metrics this layer creates from the JSON logs (metric filters, `log_metrics_namespace`).

Both custom namespaces are the env's (``ServerlessInfra/<env>`` and ``ServerlessInfra/<env>/Logs``), so envs
sharing an account never graph or alarm on each other's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.contract import metrics_namespace
from shared.aws_metrics import PERCENTILE, STATISTICS, documented
from shared.config import Environment


class MetricError(ValueError):
    """A metric nobody publishes, or a statistic CloudWatch does not know."""


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric with the statistic to read it by. Dimension values are plain strings."""

    namespace: str
    name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    stat: str = "Sum"
    label: str | None = None

    def __post_init__(self) -> None:
        import re

        if self.stat not in STATISTICS and not re.fullmatch(PERCENTILE, self.stat):
            raise MetricError(f"{self.namespace} {self.name}: statistic {self.stat!r} is neither one of "
                              f"{sorted(STATISTICS)} nor a percentile pNN")

    def with_stat(self, stat: str, label: str | None = None) -> Metric:
        return Metric(self.namespace, self.name, dict(self.dimensions), stat, label or self.label)

    @property
    def is_percentile(self) -> bool:
        return self.stat not in STATISTICS

    def dashboard_line(self, metric_id: str | None = None, visible: bool = True) -> list[Any]:
        """The ``[namespace, name, dim, value, ..., {options}]`` form of a dashboard metric line."""
        line: list[Any] = [self.namespace, self.name]
        for key in sorted(self.dimensions):
            line += [key, self.dimensions[key]]
        options: dict[str, Any] = {"stat": self.stat}
        if self.label:
            options["label"] = self.label
        if metric_id:
            options["id"] = metric_id
        if not visible:
            options["visible"] = False
        return [*line, options]


def aws_metric(namespace: str, name: str, dimensions: Mapping[str, str], stat: str = "Sum",
               label: str | None = None) -> Metric:
    """An AWS-published metric; refused unless AWS documents it under exactly these dimension keys."""
    problem = documented(namespace, name, frozenset(dimensions))
    if problem:
        raise MetricError(problem)
    return Metric(namespace, name, dict(dimensions), stat, label)


@dataclass(frozen=True)
class AppMetric:
    """A metric the app emits through Powertools Metrics: its name, the service (function) emitting it,
    and the dimension keys beyond ``service`` it carries."""

    name: str
    service: str
    extra_dimensions: tuple[str, ...] = ()


# What the handlers emit (app/handlers/*.py), keyed (name, service). POWERTOOLS_SERVICE_NAME is the
# function key (shared/components/compute/compute.py), so `service` is api, worker or dlq-analyzer.
APP_METRICS: dict[tuple[str, str], AppMetric] = {
    (m.name, m.service): m
    for m in (
        AppMetric("OrdersCreated", "api"),
        AppMetric("OrdersCreated", "worker"),
        AppMetric("OrderValue", "api"),
        AppMetric("BatchSize", "api"),
        AppMetric("BatchSize", "worker"),
        AppMetric("RecordsRejected", "api"),
        AppMetric("RecordsRejected", "worker"),
        AppMetric("IdempotentReplays", "api"),
        AppMetric("IdempotentReplays", "worker"),
        AppMetric("RequestsRejected", "api"),
        AppMetric("DependencyUnavailable", "api"),
        AppMetric("ReplicaFullFallbacks", "api"),  # only where reads go to a replica (and it is full)
        AppMetric("DlqMessages", "dlq-analyzer", ("class",)),
        AppMetric("DlqMessagesAnalyzed", "dlq-analyzer"),
        AppMetric("DlqMessagesNotFiled", "dlq-analyzer"),
        AppMetric("ColdStart", "api", ("function_name",)),
        AppMetric("ColdStart", "worker", ("function_name",)),
        AppMetric("ColdStart", "dlq-analyzer", ("function_name",)),
    )
}


def app_metric(env: Environment, name: str, service: str, stat: str = "Sum", label: str | None = None,
               **extra: str) -> Metric:
    """One of the app's EMF metrics in ``env``'s namespace; refused unless `APP_METRICS` lists it with exactly
    these dimensions."""
    known = APP_METRICS.get((name, service))
    if known is None:
        raise MetricError(f"the app emits no {name!r} from service {service!r} (shared/components/observability/"
                          f"metrics.py APP_METRICS lists what the handlers emit)")
    if set(extra) != set(known.extra_dimensions):
        raise MetricError(f"{name} from {service} carries dimensions {['service', *known.extra_dimensions]}, "
                          f"not {['service', *extra]}")
    return Metric(metrics_namespace(env.value), name, {"service": service, **extra}, stat, label)


def log_metrics_namespace(env: Environment) -> str:
    """Metrics this layer derives from logs, beside the env's app metrics: ``ServerlessInfra/<env>/Logs``."""
    return f"{metrics_namespace(env.value)}/Logs"


def log_metric(env: Environment, name: str, stat: str = "Sum", label: str | None = None) -> Metric:
    """A metric one of this layer's metric filters publishes (no dimensions: the name says what)."""
    return Metric(log_metrics_namespace(env), name, {}, stat, label)


def expression(expr: str, label: str, metric_id: str) -> dict[str, Any]:
    """A metric-math line of a dashboard graph."""
    return {"expression": expr, "label": label, "id": metric_id}
