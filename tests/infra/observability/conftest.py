"""The app's PostgreSQL and AWS-emulator fixtures, for the proof that the layer's metrics are emitted.

That proof needs both the synthesized graphs (tests/infra/conftest.py, rendered once per session and
shared with every synth test) and the app's real services (tests/app/conftest.py); importing the
fixtures here avoids rendering every env a second time.
"""

from tests.app.conftest import (  # noqa: F401 - fixtures
    boto,
    dead_db_url,
    moto_endpoint,
    pg_url,
    purge_queues,
    queues,
    ssm_params,
    stack,
)


def pytest_configure(config):  # as tests/app/conftest.py does, when only the synth tests run
    config.addinivalue_line("filterwarnings", "ignore::UserWarning:platformdirs")
