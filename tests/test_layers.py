"""Guard: imports run one way (plans ← measures ← kpis, then the public site and the staff admin apart).

The import graph is read from the code by the team's tool (../shared/tools/layers.py, beside the
checkout in CI), which exits non-zero on a cycle between packages or more than 5 imports of project
code inside functions. docs/architecture.md says which app owns what.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT.parent / "shared" / "tools" / "layers.py"


def test_no_import_cycle_and_no_import_inside_a_function():
    if not TOOL.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{TOOL} is missing: CI runs beside ../shared")
        pytest.skip(f"{TOOL} not found (it lives in ../shared beside the checkout)")
    result = subprocess.run(
        [sys.executable, str(TOOL)], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "MAX_LATE": "0"}
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "layers: 0 cycles between packages, 0 late imports of project code"
    arrows = dict(line.split(" -> ") for line in result.stdout.splitlines() if " -> " in line)
    assert arrows["measures"] == "plans"
    assert arrows["kpis"] == "measures, plans"
    assert "plans" not in arrows  # the bottom of the domain imports nothing of the project
    assert "dxportal/staff" not in arrows["dxportal/public"] and "dxportal/public" not in arrows["dxportal/staff"]
