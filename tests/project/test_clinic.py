"""Clinic profiles: a clinic's name, address and phone on its copies, in its own folder."""

from __future__ import annotations

import json

from pdfcheck import FICTIONAL, page_texts

SECOND_CLINIC = ('\n[clinics.hilltop]\nname = "Hilltop Example Surgery"\n'
                 'address = "2 Imaginary Lane, Nowhere"\nphone = "+1 555 0199"\n')


def test_clinic_details_on_handout_and_booklet_cover(cli, project):
    code, out, err = cli("--root", project, "--clinic", "riverside", "--variant", "handout",
                         "--variant", "booklet")
    assert code == 0, err
    clinic = project / "dist" / "clinics" / "riverside"
    first = page_texts(clinic / f"{FICTIONAL}.pdf")[0].replace("\xa0", " ")
    for detail in ("Riverside Example Clinic", "1 Fictional Road, Nowhere", "+1 555 0100"):
        assert detail in first
    cover = page_texts(clinic / f"{FICTIONAL}-booklet-pages.pdf")[0].replace("\xa0", " ")
    assert "Riverside Example Clinic" in cover and "+1 555 0100" in cover
    assert "Example Health Press" in cover  # the publisher stays on the cover
    assert "flip on short edge" in out
    # the clinic's copy never takes the plain handout's name
    assert not (project / "dist" / f"{FICTIONAL}.pdf").exists()


def test_clinic_all_writes_one_set_per_clinic_without_overwriting(fast_cli, project):
    """Which files a clinic run writes, and where (the fast test builder: tests/fakebuild.py)."""
    cli = fast_cli
    toml = project / "handouts.toml"
    toml.write_text(toml.read_text() + SECOND_CLINIC)
    code, out, err = cli("--root", project, "--variant", "handout")
    assert code == 0, err
    code, out, err = cli("--root", project, "--clinic", "all", "--paper", "Letter")
    assert code == 0, err
    dist = project / "dist"
    riverside = dist / "clinics" / "riverside" / f"{FICTIONAL}-letter.pdf"
    hilltop = dist / "clinics" / "hilltop" / f"{FICTIONAL}-letter.pdf"
    assert "Riverside Example Clinic" in page_texts(riverside)[0].replace("\xa0", " ")
    assert "Hilltop Example Surgery" in page_texts(hilltop)[0].replace("\xa0", " ")
    assert "Riverside" not in page_texts(hilltop)[0]
    plain = page_texts(dist / f"{FICTIONAL}.pdf")[0]  # the first run's file is still there
    assert "Riverside" not in plain and "Hilltop" not in plain
    outputs = json.loads((dist / "manifest.json").read_text())["outputs"]
    paths = sorted(o["path"] for o in outputs)
    assert paths == [f"clinics/hilltop/{FICTIONAL}-letter.pdf",
                     f"clinics/riverside/{FICTIONAL}-letter.pdf", f"{FICTIONAL}.pdf"]
    assert {o["clinic"] for o in outputs} == {None, "riverside", "hilltop"}
    assert "2 built, 1 unchanged" in err  # the plain handout belongs to the set: checked, current


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
