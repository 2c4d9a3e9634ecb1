"""The way `make test` spreads the suite over the cores: tests that share an expensive module fixture (the two
editions, the release run) carry an xdist_group mark, and `--dist loadgroup` must keep each group on one worker,
or every worker builds the fixture again (pytest 9.2 silently stopped this; see pyproject.toml)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from justice_tracker.paths import REPO_ROOT


def test_make_test_keeps_each_xdist_group_on_one_worker(tmp_path: Path):
    make = (REPO_ROOT / "Makefile").read_text()
    dist = re.search(r"^test:.*\n\t.*pytest (.*)$", make, re.M).group(1)
    assert "--dist loadgroup" in dist
    (tmp_path / "test_grouped.py").write_text(
        "import pytest\n"
        "pytestmark = pytest.mark.xdist_group('shared-fixture')\n"
        "@pytest.mark.parametrize('i', range(8))\n"
        "def test_one(i):\n"
        "    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", "-v", "test_grouped.py"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    workers = set(re.findall(r"\[(gw\d+)\].*PASSED", proc.stdout))
    assert len(re.findall(r"PASSED", proc.stdout)) == 8
    assert len(workers) == 1, f"one group ran on {sorted(workers)}:\n{proc.stdout[-2000:]}"
