"""Shared fixtures: a throw-away copy of the fictional test project, and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pdfcheck import FIXTURES, REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the fictional fixture articles plus the real styles/."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copytree(REPO / "styles", root / "styles")
    return root


@pytest.fixture
def cli(capsys):
    """Run the command line in-process; returns (exit code, stdout, stderr)."""
    from handouts.cli import main

    def run(*args: str):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return int(code), captured.out, captured.err

    return run
