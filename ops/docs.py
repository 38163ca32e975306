"""`invoke docs`: regenerate the reference documents that are built from the code."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.reference_docs import generated_documents
from shared.config import REPO_ROOT


@task(help={"check": "write nothing; fail when a committed document is stale"})
def docs(c, check=False):
    """Write docs/config.md (from the settings models) and docs/outputs.md (from the layer contract)."""
    stale = []
    for path, text in generated_documents().items():
        name = path.relative_to(REPO_ROOT)
        if path.exists() and path.read_text() == text:
            print(f"{name}: up to date")
            continue
        stale.append(str(name))
        if not check:
            path.write_text(text)
            print(f"{name}: written")
    if check and stale:
        raise Exit(f"stale: {', '.join(stale)}; run `invoke docs` and commit the result", code=1)
