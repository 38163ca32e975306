"""The major-upgrade procedure in docs/data.md names the majors the settings accept, and the model refuses
the next one until step 1 of the procedure (adding it) is done."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pydantic
import pytest

from shared.components.data.settings import DataSettings

pytestmark = pytest.mark.unit
DATA_DOC = Path(__file__).resolve().parents[3] / "docs" / "data.md"


def accepted_majors() -> list[int]:
    return sorted(typing.get_args(DataSettings.model_fields["engine_major_version"].annotation))


def test_the_doc_names_the_majors_the_model_accepts() -> None:
    text = DATA_DOC.read_text()
    named = " or ".join(str(m) for m in accepted_majors())
    assert f"| {named}; minors auto-upgrade |" in text
    assert f"the settings model lists ({named} today)" in text


def test_the_next_major_is_refused_until_the_model_lists_it() -> None:
    base = {"instanceClass": "db.t4g.micro", "allocatedStorageGib": 20, "maxAllocatedStorageGib": 50,
            "multiAz": False, "backupRetentionDays": 1}
    DataSettings.model_validate({**base, "engineMajorVersion": accepted_majors()[-1]})
    with pytest.raises(pydantic.ValidationError, match="engineMajorVersion"):
        DataSettings.model_validate({**base, "engineMajorVersion": accepted_majors()[-1] + 1})
    assert re.search(r"add N to `engine_major_version`'s `Literal\[\.\.\.\]`", DATA_DOC.read_text())
