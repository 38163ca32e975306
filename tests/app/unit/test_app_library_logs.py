"""The app's stdlib loggers (config, db) write through the handler's Powertools logger."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aws_lambda_powertools import Logger

from app.observability import route_library_logs

pytestmark = pytest.mark.unit


def test_db_and_config_logs_come_out_as_json_with_the_correlation_id():
    stream = io.StringIO()
    powertools = Logger(service="api-test", logger_handler=logging.StreamHandler(stream))
    route_library_logs(powertools)
    powertools.append_keys(correlation_id="corr-123")
    try:
        logging.getLogger("app.db").warning("transient database error; retrying", extra={"attempt": 2})
        line = json.loads(stream.getvalue().strip().splitlines()[-1])
    finally:
        powertools.remove_keys(["correlation_id"])
        app_logger = logging.getLogger("app")
        app_logger.handlers, app_logger.propagate = [], True
    assert line["message"] == "transient database error; retrying"
    assert line["correlation_id"] == "corr-123"
    assert line["attempt"] == 2
    assert line["service"] == "api-test"
