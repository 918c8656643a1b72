"""Shared fixtures: a throw-away copy of the fictional test project, and the CLI (with the
real build, or with the fast test builder of tests/fakebuild.py)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# The commands the tests start run as a user's do, keeping the byte code of what they
# import: an environment that says not to (PYTHONDONTWRITEBYTECODE) would have every one
# of them compile the package and its libraries again (~0.2-0.5 s each). The byte code
# goes to __pycache__/ folders, which git ignores.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

import pytest
from hypothesis import HealthCheck, settings

# Timing is the benchmarks' business: a property test must not fail because the machine
# (CI, two cores) is busy. Per-test settings still choose their number of examples.
settings.register_profile("handouts", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("handouts")

from pdfcheck import FIXTURES, REPO

#: The test files that take longest (5 s or more on one core of a quiet 2-core machine),
#: slowest first: pyproject.toml runs the suite on every core (pytest-xdist, a file per
#: worker at a time), and a long file started last would keep one worker busy after the
#: others are done. Measured with `taskset -c 0 python3 -m pytest -q -n 0 FILE`.
SLOW_FIRST = (
    "tests/guard/test_hardening.py",  # 36 s
    "tests/dist/test_browser.py",  # 30 s
    "tests/e2e/test_install.py",  # 25 s
    "tests/variants/test_print.py",  # 23 s
    "tests/references/test_references.py",  # 21 s
    "tests/batch/test_dask.py",  # 17 s
    "tests/pdf/test_pages.py",  # 16 s
    "tests/e2e/test_reproducible.py",  # 15 s
    "tests/batch/test_batch.py",  # 14 s
    "tests/guard/test_security.py",  # 13 s
    "tests/theme/test_theme.py",
    "tests/checks/test_pdfua.py",
    "tests/variants/test_variants.py",
    "tests/e2e/test_fuzz.py",
    "tests/project/test_i18n.py",
    "tests/dist/test_editions.py",
    "tests/cli/test_cli.py",
)


def pytest_collection_modifyitems(config, items):
    """The files of `SLOW_FIRST` first; the rest in their usual order."""
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_configure(config):
    """Under pytest-xdist each worker gets a core of its own: the batch's default --jobs
    (the cores this process may use) is then 1, and a build does not start a process pool
    on the core another worker is using."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, …
    if worker.startswith("gw") and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})


def copy_project(parent: Path) -> Path:
    """Copy the fictional fixture project, with the repository's styles/ (clinic logos; the
    theme is built in), to `parent`/project."""
    root = parent / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the fictional fixture articles plus the repository's styles/."""
    return copy_project(tmp_path)


def command_line(capsys, builder=None):
    """The command line in-process, building with `builder` (None: the real build);
    returns (exit code, stdout, stderr)."""
    from handouts.cli import main

    def run(*args: str):
        code = main([str(a) for a in args], builder=builder)
        captured = capsys.readouterr()
        return int(code), captured.out, captured.err

    return run


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns (exit code, stdout, stderr)."""
    return command_line(capsys)


@pytest.fixture
def fast_cli(capsys):
    """`cli` with the fast test builder (tests/fakebuild.py): everything but WeasyPrint's
    layout is real; for tests of what the batch publishes, not of what the page shows."""
    import fakebuild

    return command_line(capsys, fakebuild.build)
