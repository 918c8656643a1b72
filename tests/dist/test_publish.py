"""The publish stage puts a set of files in place all or nothing, cleans up after a
killed build, and refuses two jobs writing one file.

A full disk cannot be made here (no tmpfs, and the tests run as root, so an unwritable
folder is writable anyway). It is simulated with the kernel's own per-process file-size
limit (RLIMIT_FSIZE) in a child process: writing past the limit fails in write(2) with
EFBIG, exactly where ENOSPC would fail, after the first files were written. No Python
function is patched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from handouts.errors import InputError
from handouts.dist.publish import (check_collisions, clean_stale, output_lock, publish_set,
                                   temp_path)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _old_set(dist: Path) -> dict[str, bytes]:
    files = {"flu.pdf": b"%PDF old handout\n" * 10, "flu-booklet.pdf": b"%PDF old booklet\n" * 10,
             "flu-press.pdf": b"%PDF old press\n" * 10}
    for name, data in files.items():
        (dist / name).write_bytes(data)
    return files


def test_a_set_is_published_and_identical_files_are_not_rewritten(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    old = _old_set(dist)
    mtime = (dist / "flu.pdf").stat().st_mtime_ns
    new = [(dist / "flu.pdf", old["flu.pdf"]), (dist / "flu-press.pdf", b"new press"),
           (dist / "clinics" / "a" / "flu.pdf", b"clinic copy")]
    assert publish_set(new) == [p for p, _ in new]
    assert (dist / "flu-press.pdf").read_bytes() == b"new press"
    assert (dist / "clinics" / "a" / "flu.pdf").read_bytes() == b"clinic copy"
    assert (dist / "flu.pdf").stat().st_mtime_ns == mtime  # unchanged bytes: untouched
    assert oct((dist / "flu-press.pdf").stat().st_mode & 0o777) == oct(0o644)
    assert not [p for p in dist.rglob("*.tmp")]


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from handouts.dist.publish import publish_set
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # EFBIG instead of a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the "disk" holds 4 KiB per file
    dist = Path(sys.argv[1])
    files = [(dist / "flu.pdf", b"new handout"), (dist / "flu-booklet.pdf", b"new booklet"),
             (dist / "flu-press.pdf", b"x" * 100_000)]          # the third does not fit
    try:
        publish_set(files)
    except OSError as exc:
        print("failed:", exc.errno, exc.strerror)
        sys.exit(1)
""")


def test_a_full_disk_on_the_third_file_leaves_the_previous_set_byte_identical(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    _old_set(dist)
    before = _snapshot(dist)
    run = subprocess.run([sys.executable, "-c", FULL_DISK, str(dist)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert "failed: 27" in run.stdout  # EFBIG, from write(2) on the third temporary
    assert _snapshot(dist) == before  # byte-identical, and no temporary left behind


def test_a_failure_while_moving_puts_the_replaced_files_back(tmp_path):
    """The third target cannot be replaced (a folder is in the way): the first two,
    already moved into place, get their previous bytes back."""
    dist = tmp_path / "dist"
    dist.mkdir()
    old = _old_set(dist)
    (dist / "flu-press.pdf").unlink()
    (dist / "flu-press.pdf").mkdir()
    (dist / "flu-press.pdf" / "keep").write_text("something")
    before = _snapshot(dist)
    with pytest.raises(OSError):
        publish_set([(dist / "flu.pdf", b"new handout"), (dist / "flu-booklet.pdf", b"new booklet"),
                     (dist / "flu-press.pdf", b"new press")])
    assert _snapshot(dist) == before
    assert (dist / "flu.pdf").read_bytes() == old["flu.pdf"]
    assert not [p for p in dist.rglob("*.tmp")]


def test_removals_happen_only_after_the_set_is_in_place(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    _old_set(dist)
    (dist / "x").mkdir()
    with pytest.raises(OSError):
        publish_set([(dist / "x", b"cannot replace a folder")], remove=[dist / "flu-press.pdf"])
    assert (dist / "flu-press.pdf").exists()
    publish_set([(dist / "flu.pdf", b"new")], remove=[dist / "flu-press.pdf"])
    assert not (dist / "flu-press.pdf").exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_a_killed_build_are_removed_and_a_live_builds_are_kept(tmp_path):
    dist = tmp_path / "dist"
    (dist / "clinics" / "a").mkdir(parents=True)
    dead = _dead_pid()
    stale = [dist / f".flu.pdf.{dead}.0123abcd.tmp", dist / "clinics" / "a" / f".flu.pdf.{dead}.89abcdef.tmp"]
    for path in stale:
        path.write_bytes(b"half a PDF")
    staged = dist / "archive" / "flu" / f".edition-1.{dead}.00000000.tmp"
    staged.mkdir(parents=True)
    (staged / "flu.pdf").write_bytes(b"half an archive")
    live = temp_path(dist / "flu-press.pdf")  # this process's: a build in progress
    live.write_bytes(b"being written")
    recent = dist / ".flu.pdf.k3j4l5.tmp"  # no pid (an older version's): kept while recent
    recent.write_text("maybe still being written")
    old = dist / "clinics" / ".flu.pdf.a8b9c0.tmp"  # … and removed once it is an hour old
    old.write_text("left by an old build")
    os.utime(old, (old.stat().st_mtime - 7200,) * 2)
    assert clean_stale(dist) == 4
    assert recent.exists() and not old.exists()
    assert not any(p.exists() for p in stale) and not staged.exists()
    assert live.exists()


def test_a_second_build_cannot_write_the_same_folder_at_the_same_time(tmp_path):
    with output_lock(tmp_path / "dist"):
        with pytest.raises(InputError, match="another build is writing this folder"):
            with output_lock(tmp_path / "dist"):
                pass
    with output_lock(tmp_path / "dist"):  # released
        pass
    assert list((tmp_path / "dist").iterdir()) == []  # and no lock file left in dist/


def test_two_jobs_writing_one_file_is_an_error_naming_both(tmp_path):
    problems = check_collisions([(tmp_path / "flu.pdf", "flu (handout)"),
                                 (tmp_path / "flu-press.pdf", "flu (press)"),
                                 (tmp_path / "flu-press.pdf", "flu-press (handout)"),
                                 (tmp_path / "Flu.pdf", "Flu (handout)")])
    text = [str(p) for p in problems]
    assert len(text) == 2
    assert "flu (press) and flu-press (handout) would both write this file" in text[0]
    assert "flu (handout) and Flu (handout)" in text[1]  # case-insensitive disks
    assert check_collisions([(tmp_path / "a.pdf", "a"), (tmp_path / "b.pdf", "b")]) == []
