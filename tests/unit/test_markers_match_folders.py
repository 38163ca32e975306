"""The collection hook in tests/conftest.py refuses a test whose markers disagree with its folder.

Run through pytester on a throwaway tree with this repo's conftest and marker registration, so the
real hook decides, as it does over tests/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CONFTEST = (Path(__file__).resolve().parents[1] / "conftest.py").read_text()
MARKERS = """
[pytest]
markers =
    unit: pure Python
    synth: offline synth
"""


@pytest.fixture
def tree(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(MARKERS)
    pytester.makeconftest(CONFTEST)
    pytester.mkdir("unit")
    pytester.mkdir("infra")
    return pytester


def test_an_unmarked_test_in_unit_stops_the_run_naming_it(tree: pytest.Pytester):
    (tree.path / "unit" / "test_a.py").write_text("import pytest\n\ndef test_forgot():\n    pass\n")
    result = tree.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unit/test_a.py::test_forgot: in folder unit but not marked unit*"])


def test_a_test_marked_for_another_kind_in_unit_is_refused(tree: pytest.Pytester):
    (tree.path / "unit" / "test_b.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.synth\n\ndef test_wrong_kind():\n    pass\n"
    )
    result = tree.runpytest("-p", "no:cacheprovider", "-m", "synth")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_wrong_kind: in folder unit but not marked unit*"])


def test_a_test_with_no_kind_marker_anywhere_is_refused(tree: pytest.Pytester):
    (tree.path / "infra" / "test_c.py").write_text("def test_no_kind():\n    pass\n")
    result = tree.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_no_kind: marked none of synth, unit*"])


def test_matching_markers_run(tree: pytest.Pytester):
    (tree.path / "unit" / "test_d.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.unit\n\ndef test_ok():\n    pass\n"
    )
    (tree.path / "infra" / "test_e.py").write_text(
        "import pytest\n\n@pytest.mark.synth\ndef test_ok():\n    pass\n"
    )
    tree.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
