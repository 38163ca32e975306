"""The observability layer: alarms, dashboards, log filters and queries, tracing, AWS Config, budget."""

from shared.components.observability.accounts import check_repo_account_singletons
from shared.components.observability.observability import Observability, ObservabilityArgs
from shared.components.observability.settings import ObservabilitySettings
from shared.components.observability.upstream import READS, resolve

__all__ = ["READS", "Observability", "ObservabilityArgs", "ObservabilitySettings", "check_repo_account_singletons",
           "resolve"]
