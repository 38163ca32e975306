"""Typed CloudWatch dashboard widgets and the layout that places them: no dashboard JSON is written by hand.

The body format is AWS's "Dashboard Body Structure and Syntax"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
a 24-column grid of widgets with x, y, width, height; metric widgets list ``[namespace, name, dim, value,
..., {options}]`` lines or ``{"expression": ...}`` lines; log widgets hold a Logs Insights query that
starts with ``SOURCE '<log group>'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.components.observability.metrics import Metric
from shared.config import REGION

GRID_COLUMNS = 24

Line = Metric | dict[str, Any]  # a metric, or a metric-math expression line (metrics.expression)


@dataclass(frozen=True)
class Graph:
    title: str
    lines: Sequence[Line]
    width: int = 12
    height: int = 6
    view: str = "timeSeries"  # timeSeries | singleValue | bar | pie
    stacked: bool = False
    period: int | None = None
    horizontal: Sequence[tuple[float, str]] = ()  # (value, label) annotations: thresholds, budgets
    y_label: str | None = None
    hidden_ids: frozenset[str] = frozenset()  # lines only an expression uses

    def properties(self, default_period: int) -> dict[str, Any]:
        lines: list[Any] = []
        for i, line in enumerate(self.lines):
            if isinstance(line, Metric):
                metric_id = f"m{i}"
                lines.append(line.dashboard_line(metric_id, visible=metric_id not in self.hidden_ids))
            else:
                lines.append([dict(line)])
        props: dict[str, Any] = {"title": self.title, "region": REGION, "view": self.view, "stacked": self.stacked,
                                 "period": self.period or default_period, "metrics": lines}
        if self.horizontal:
            props["annotations"] = {"horizontal": [{"value": v, "label": label} for v, label in self.horizontal]}
        if self.y_label:
            props["yAxis"] = {"left": {"label": self.y_label, "showUnits": False}}
        return props

    kind = "metric"


@dataclass(frozen=True)
class LogTable:
    title: str
    log_groups: Sequence[str]
    query: str  # the part after the SOURCE clause
    width: int = 24
    height: int = 6
    view: str = "table"

    kind = "log"

    def properties(self, default_period: int) -> dict[str, Any]:
        sources = " | ".join(f"SOURCE '{group}'" for group in self.log_groups)
        return {"title": self.title, "region": REGION, "view": self.view, "query": f"{sources} | {self.query}"}


@dataclass(frozen=True)
class Text:
    markdown: str
    width: int = 24
    height: int = 2

    kind = "text"

    def properties(self, default_period: int) -> dict[str, Any]:
        return {"markdown": self.markdown}


@dataclass(frozen=True)
class AlarmStatus:
    title: str
    alarm_arns: Sequence[str]
    width: int = 24
    height: int = 3

    kind = "alarm"

    def properties(self, default_period: int) -> dict[str, Any]:
        return {"title": self.title, "alarms": list(self.alarm_arns)}


Widget = Graph | LogTable | Text | AlarmStatus


@dataclass(frozen=True)
class DashboardSpec:
    key: str  # business, api, lambda, sqs, rds, cost
    widgets: Sequence[Widget]
    start: str = "-PT6H"  # ISO 8601 duration back from now
    period: int = 300

    def body(self) -> dict[str, Any]:
        """The dashboard body: widgets placed left to right, top to bottom, on the 24-column grid."""
        placed, x, y, row_height = [], 0, 0, 0
        for widget in self.widgets:
            if not 1 <= widget.width <= GRID_COLUMNS:
                raise ValueError(f"dashboard {self.key}: widget width {widget.width} is outside 1..{GRID_COLUMNS}")
            if x + widget.width > GRID_COLUMNS:
                x, y, row_height = 0, y + row_height, 0
            placed.append({"type": widget.kind, "x": x, "y": y, "width": widget.width, "height": widget.height,
                           "properties": widget.properties(self.period)})
            x += widget.width
            row_height = max(row_height, widget.height)
        return {"start": self.start, "periodOverride": "inherit", "widgets": placed}
