"""Same sources, same bytes — wherever the project lives; and renderer trouble is reported."""

from __future__ import annotations

import shutil

from pdfcheck import FICTIONAL


def test_bytes_do_not_depend_on_where_the_project_lives(cli, project, tmp_path):
    elsewhere = tmp_path / "another" / "checkout"
    shutil.copytree(project, elsewhere)
    for root in (project, elsewhere):
        code, out, err = cli("--root", root, "--variant", "all", "-q")
        assert code == 0, err
    for pdf in (project / "dist").iterdir():
        assert (elsewhere / "dist" / pdf.name).read_bytes() == pdf.read_bytes(), pdf.name
        assert str(project).encode() not in pdf.read_bytes()


def test_unreadable_image_is_a_warning_not_silence(cli, project):
    (project / "source" / FICTIONAL / "images" / "bedroom.png").write_bytes(b"not a png")
    code, out, err = cli("--root", project)
    assert code == 0
    assert "warning: while rendering:" in err and "bedroom.png" in err
    code, out, err = cli("--root", project, "--strict")
    assert code == 1
