"""`invoke docs`: regenerate every document (or generated section) that is built from the code."""

from __future__ import annotations

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.reference_docs import generated_documents
from shared.config import REPO_ROOT


@task(help={"check": "write nothing; fail when a committed document is stale"})
def docs(c, check=False):
    """Write docs/config.md (settings models), docs/outputs.md (layer contract) and the cost sections and diagram
    (the cost model over the synthesized graphs: the README and each layer doc)."""
    from shared.config import ConfigError
    from shared.cost.docs import refresh_all
    from shared.synth.runner import SynthError

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
    try:
        sections = refresh_all(write=not check)  # the files whose generated cost sections were stale
        stale += sections
        print("cost sections and diagram: " + (f"{'stale in' if check else 'written in'} {', '.join(sections)}"
                                               if sections else "up to date"))
    except (SynthError, ConfigError, LookupError) as error:
        raise Exit(str(error), code=1) from None
    if check and stale:
        raise Exit(f"stale: {', '.join(stale)}; run `invoke docs` and commit the result", code=1)
