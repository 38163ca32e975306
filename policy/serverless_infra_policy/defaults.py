"""The config each policy understands, with the defaults a run without ``--policy-pack-config`` uses."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, dict[str, Any]] = {
    "network-no-internet-path": {"allowInternetEgress": False},
    "log-retention": {
        "minimumRetentionDays": {"dev": 7, "staging": 30, "prod": 90},
        # sox: audit-relevant logs (flow, API access, database, function logs) kept at least a year.
        "complianceRetentionDays": {"sox": 365},
    },
    "prod-data-protection": {"minimumBackupRetentionDays": 7},
    "reserved-concurrency-quota": {"accountConcurrencyLimit": 1000, "unreservedMinimum": 100,
                                   "reservedElsewhere": 0},
}
