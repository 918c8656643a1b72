"""Clinic profiles: a clinic's name, address and phone on its copies."""

from __future__ import annotations

from pdfcheck import FICTIONAL, page_texts


def test_clinic_details_on_handout_and_booklet_cover(cli, project):
    code, out, err = cli("--root", project, "--clinic", "riverside", "--variant", "handout",
                         "--variant", "booklet")
    assert code == 0, err
    first = page_texts(project / "dist" / f"{FICTIONAL}.pdf")[0]
    assert "Riverside Example Clinic · 1 Fictional Road, Nowhere · +1 555 0100" in first
    cover = page_texts(project / "dist" / f"{FICTIONAL}-booklet-pages.pdf")[0]
    assert "Riverside Example Clinic" in cover and "+1 555 0100" in cover
    assert "Example Health Press" in cover  # the publisher stays on the cover
    assert "flip on short edge" in out


def test_unknown_clinic_is_an_input_error(cli, project):
    code, out, err = cli("--root", project, "--clinic", "riversid")
    assert code == 1
    assert err.strip().endswith("unknown clinic 'riversid' — did you mean 'riverside'?")
    assert not (project / "dist").exists()


def test_bad_clinic_table_is_reported(cli, project):
    toml = project / "handouts.toml"
    toml.write_text(toml.read_text() + '\n[clinics.other]\nadress = "x"\n')
    code, out, err = cli("--root", project)
    assert code == 1
    assert "unknown key 'adress' in [clinics.other] — did you mean 'address'?" in err
    assert "[clinics.other] has no name" in err
