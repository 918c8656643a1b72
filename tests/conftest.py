"""Shared fixtures: a throw-away copy of the fictional test project, and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing is the benchmarks' business: a property test must not fail because the machine
# (CI, two cores) is busy. Per-test settings still choose their number of examples.
settings.register_profile("handouts", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("handouts")

from pdfcheck import FIXTURES, REPO


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


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns (exit code, stdout, stderr)."""
    from handouts.cli import main

    def run(*args: str):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return int(code), captured.out, captured.err

    return run
