"""Publish stage: the only code that writes into the output folder.

Every file goes to a temporary file beside its target (``.<name>.<pid>.<random>.tmp``,
written and fsynced) and is moved into place with `os.replace`, so a reader never sees a
half-written PDF. `publish_set` does this for a whole set of files (one article's
handout, booklet, press file, sources …): *all* temporaries are written first, then they
are moved into place one after the other; when anything fails, the temporaries are
removed and every previous file is left byte for byte as it was. A temporary left by a
killed build is removed by the next build (`clean_stale`).

``dist/`` is not trusted either: with `within` (the output folder), a target whose folder
leads outside it through a symbolic link (``dist/clinics`` -> elsewhere) is refused, and
an existing target is read without following a link (`same_bytes`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from handouts.errors import Diagnostic, InputError

#: A temporary of ours: ``.<name>.<pid>.<hex>.tmp`` (files) or the same for staged folders.
TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$")
LOCK_NAME = ".handouts.lock"


def temp_path(target: Path) -> Path:
    """A fresh temporary name beside `target`, naming this process (see `clean_stale`)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_temp(target: Path, data: bytes) -> Path:
    tmp = temp_path(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # whatever the umask: published files are readable
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def same_bytes(target: Path, data: bytes) -> bool:
    """`target` is a regular file (not a link, FIFO or device) holding exactly `data`."""
    import stat

    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        return stat.S_ISREG(st.st_mode) and st.st_size == len(data) and f.read(len(data) + 1) == data


class TooLarge(ValueError):
    """A file larger than the limit it was read under (`size`: its bytes)."""

    def __init__(self, size: int):
        self.size = size


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path`, a regular file (not a symbolic link, FIFO or device) of at
    most `max_bytes`."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > max_bytes:
            raise TooLarge(st.st_size)
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(len(data))
    return data


def check_within(output_dir: Path, path: Path) -> None:
    """An `InputError` when `path` (symbolic links resolved) lies outside `output_dir`."""
    from handouts.guard.paths import inside

    if not inside(path, [output_dir]):
        try:
            shown = Path(path).relative_to(output_dir).as_posix()
        except ValueError:
            shown = str(path)
        raise InputError.at(path, None, f"'{shown}' leads outside the output folder (a symbolic link?)",
                            f"replace the link with a real folder, or remove it from {Path(output_dir).name}/")


def write_atomic(target: Path, data: bytes, *, within: Path | None = None) -> Path:
    """Write one file atomically (a set of one)."""
    publish_set([(target, data)], within=within)
    return target


def publish_set(files: Iterable[tuple[Path, bytes]], *, remove: Iterable[Path] = (),
                within: Path | None = None) -> list[Path]:
    """Put every ``(target, bytes)`` in place, all or nothing; then delete `remove`.

    1. every temporary is written and fsynced beside its target (a full disk, a
       read-only folder fail here, before any target is touched);
    2. the previous version of each target is kept as a hard link, then every temporary
       is renamed over its target; should a rename fail, the targets already replaced
       get their previous version back;
    3. the files in `remove` (e.g. an old edition's outputs, already archived) are deleted.
    A target whose bytes are already identical is not rewritten. Returns the targets.
    Raises the `OSError` of the first failure, after cleaning up; with `within`, an
    `InputError` before anything is written when a target or a file of `remove` would
    lie outside that folder.
    """
    files = [(Path(t), bytes(d)) for t, d in files]
    remove = [Path(p) for p in remove]
    if within is not None:
        for target in [t for t, _ in files] + remove:
            check_within(within, target.parent)
    seen: set[Path] = set()
    for target, _ in files:
        if target in seen:
            raise ValueError(f"{target} appears twice in one publish set")
        seen.add(target)
    pending = [(t, d) for t, d in files if not same_bytes(t, d)]
    temps: list[tuple[Path, Path]] = []  # (tmp, target)
    backups: list[tuple[Path, Path | None]] = []  # (target, hard link to its old version)
    try:
        for target, data in pending:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                temps.append((_write_temp(target, data), target))
            except OSError as exc:  # name the file the user will look for
                if exc.filename is None or Path(exc.filename).name.endswith(".tmp"):
                    raise OSError(exc.errno, exc.strerror, str(target)) from exc
                raise
        for tmp, target in temps:
            backups.append((target, _backup(target)))
        done: list[tuple[Path, Path | None]] = []
        try:
            for (tmp, target), backup in zip(temps, backups):
                os.replace(tmp, target)
                done.append(backup)
        except BaseException:
            for target, old in reversed(done):  # put the previous versions back
                with contextlib.suppress(OSError):
                    if old is not None:
                        os.replace(old, target)
                    else:
                        target.unlink()
            raise
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    finally:
        for _, old in backups:
            if old is not None:
                with contextlib.suppress(OSError):
                    old.unlink()
    for folder in {t.parent for _, t in temps}:
        _fsync_dir(folder)
    for path in remove:  # the set is in place: a file that will not go is only left over
        with contextlib.suppress(OSError):
            Path(path).unlink()
    return [t for t, _ in files]


def _backup(target: Path) -> Path | None:
    """A hard link to `target`'s current version (None when there is none)."""
    if not target.exists() and not target.is_symlink():
        return None
    link = temp_path(target)
    try:
        os.link(target, link, follow_symlinks=False)
    except OSError:  # a file system without hard links: copy instead
        shutil.copy2(target, link)
    return link


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


STALE_AFTER_S = 24 * 3600  # a temporary this old is stale even if its pid was reused
STALE_UNNAMED_S = 3600  # ``.*.tmp`` without our pid (older versions): stale after an hour
_OTHER_TEMP = re.compile(r"^\..+\.tmp$")


def _older_than(path: Path, seconds: float) -> bool:
    import time

    try:
        return time.time() - path.lstat().st_mtime > seconds
    except OSError:
        return False


def clean_stale(output_dir: Path, *, locked: bool = False) -> int:
    """Remove the temporaries (``.*.<pid>.<hex>.tmp`` files and staged folders) that a
    killed build left anywhere under `output_dir`. Returns how many were removed.

    `locked`: the caller holds `output_lock`, and every writer of the folder writes
    under it, so every temporary but this process's is stale, whatever its pid says
    (a pid is reused, and a killed child stays "alive" until it is reaped). Without the
    lock, a temporary of a process still running is kept."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return 0
    removed = 0
    for folder, dirs, names in os.walk(output_dir):
        for name in [*names, *dirs]:
            m = TEMP_NAME.match(name)
            if not m and not _OTHER_TEMP.match(name):
                continue  # not a temporary (nearly every name: no path is made for it)
            path = Path(folder, name)
            if m:
                pid = int(m.group(1))
                if (pid == os.getpid() or not locked and _pid_alive(pid)) \
                        and not _older_than(path, STALE_AFTER_S):
                    continue
            elif not _older_than(path, STALE_UNNAMED_S):
                continue  # a temporary without a pid (an older version's) once it is old
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                    dirs.remove(name)
                else:
                    path.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def output_lock(output_dir: Path):
    """Hold ``<output_dir>/.handouts.lock`` while publishing: a second build writing the
    same folder at the same time gets an `InputError` instead of mixing the two sets.
    The lock file is removed on release, so dist/ holds only published files."""
    import fcntl

    output_dir = Path(output_dir)
    lock = output_dir / LOCK_NAME
    while True:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError.at(output_dir, None, f"cannot write the output folder: {exc.strerror or exc}",
                                "check that the output folder is writable, or use --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise InputError.at(output_dir, None, "another build is writing this folder",
                                "wait for it to finish, or build into another folder with --out") from None
        try:  # the holder before us may have removed the file after we opened it: retry
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # while still holding it
        os.close(fd)  # closing releases the lock


def check_collisions(targets: Iterable[tuple[Path, str]]) -> list[Diagnostic]:
    """One error per output path claimed by two jobs, e.g. article ``flu`` with variant
    press and article ``flu-press`` both writing ``flu-press.pdf``. `targets` pairs each
    planned output path with a description of its job ("flu (press)")."""
    owner: dict[str, str] = {}
    problems = []
    for path, job in targets:
        # case-folded: the set is copied to case-insensitive disks and web servers
        key = os.path.normpath(str(path)).casefold()
        if key in owner and owner[key] != job:
            problems.append(Diagnostic(
                path, None, f"output name collision: {owner[key]} and {job} would both write this file",
                "rename one of the article folders (the slug)"))
        else:
            owner.setdefault(key, job)
    return problems
