"""The same jobs through a real Dask cluster (two worker processes): same bytes, and the
client alone publishes."""

from __future__ import annotations

import json
import shutil

import pytest
from pdfcheck import FICTIONAL

# `distributed` (a test dependency) is imported where a test uses it: collecting this module
# on every worker would cost each ~0.6 s, and a missing dependency fails, not skips.


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as local:
        yield local


def test_dask_executor_builds_the_same_bytes(cli, project, cluster, tmp_path):
    shutil.copytree(project / "source" / FICTIONAL, project / "source" / "second-fictional-guide")
    address = cluster.scheduler_address.replace("tcp://", "dask://")
    code, out, err = cli("--root", project, "--executor", address, "--variant", "handout",
                         "--variant", "press")
    assert code == 0, err
    assert "4 built, 0 unchanged in" in err
    dist = project / "dist"
    remote = {p.name: p.read_bytes() for p in dist.glob("*.pdf")}
    assert sorted(remote) == [f"{FICTIONAL}-press.pdf", f"{FICTIONAL}.pdf",
                              "second-fictional-guide-press.pdf", "second-fictional-guide.pdf"]
    manifest = json.loads((dist / "manifest.json").read_text())
    assert len(manifest["outputs"]) == 4
    # the workers really did the work: they are other processes
    workers = set(cluster.scheduler_info["workers"])
    assert len(workers) == 2
    # a local build gives the very same bytes
    code, out, err = cli("--root", project, "--jobs", "1", "--variant", "handout",
                         "--variant", "press", "--out", tmp_path / "local")
    assert code == 0, err
    for name, data in remote.items():
        assert (tmp_path / "local" / name).read_bytes() == data, name
    # unchanged: nothing is sent to the cluster
    code, out, err = cli("--root", project, "--executor", address, "--variant", "handout",
                         "--variant", "press")
    assert code == 0 and "0 built, 4 unchanged" in err


def test_batch_run_with_a_client_executor_reports_errors_per_article(project, cluster):
    from distributed import Client

    from handouts.batch import run as batch
    from handouts.project.config import load_config

    broken = project / "source" / "broken-fictional-guide"
    shutil.copytree(project / "source" / FICTIONAL, broken)
    md = broken / "article.md"
    md.write_text(md.read_text().replace("edition: 2", "edition: two"))
    config = load_config(project)
    with Client(cluster.scheduler_address) as client:
        report = batch.run(config, [], batch.BatchOptions(), executor=client.get_executor())
    assert report.exit_status == 1
    assert [o.path.name for o in report.outputs] == [f"{FICTIONAL}.pdf"]
    [failure] = report.failed
    assert failure.path == md
    assert any(p.path == md and p.line == 16 for p in failure.problems), failure.problems
    assert {r.worker.split(":")[-1] for r in report.built} != {str(__import__("os").getpid())}


# ---------------------------------------------------------------------------------------
# A scheduler address that is wrong, silent or hostile: one line, within the timeout


class _Peer:
    """A TCP server on 127.0.0.1 that accepts every connection and then either says
    nothing (`greeting` None) or sends `greeting` and stays silent."""

    def __init__(self, greeting: bytes | None = None):
        import socket
        import threading

        self.greeting = greeting
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            if self.greeting is not None:
                conn.sendall(self.greeting)

    def close(self):
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hostile_project(tmp_path):
    from test_hardening import Project

    project = Project(tmp_path / "proj")
    project.write("Body.")
    return project


def _one_line(code: int, err: str, *needles: str) -> str:
    """Exit 1 and one line ``error: what — fix`` (no file: the command line is at fault)."""
    assert code == 1 and "Traceback" not in err, err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("error: ") and " — " in line, line
    for needle in needles:
        assert needle in line, line
    return line


def _build_with(project, address: str, timeout: str = "1s"):
    from test_hardening import run_cli

    return run_cli("build", "--root", str(project.root), "--out", str(project.out), "-q",
                   "--executor", address, env={"HANDOUTS_DASK_TIMEOUT": timeout}, timeout=60)


@pytest.mark.parametrize("greeting,needle", [
    (None, "did not answer within 1 s"),  # accepts, never answers
    (__import__("struct").pack("Q", 2**62), "4,611,686,018,427,387,904 bytes"),  # 4.6 EB
    (__import__("struct").pack("Q", 2**31), "dask_message_bytes"),  # 2 GiB: allocatable
], ids=["silent", "frame-2-62", "frame-2-31"])
def test_a_silent_or_hostile_scheduler_ends_within_the_timeout(hostile_project, greeting, needle):
    """The handshake is bounded by HANDOUTS_DASK_TIMEOUT, and a frame size over
    `dask_message_bytes` is refused before anything is allocated (under a 2 GiB bound)."""
    peer = _Peer(greeting)
    try:
        code, _, err, seconds = _build_with(hostile_project, f"dask://127.0.0.1:{peer.port}")
    finally:
        peer.close()
    assert "MemoryError" not in err
    _one_line(code, err, f"127.0.0.1:{peer.port}", needle)
    assert seconds < 1 + 15
    assert not list(hostile_project.out.glob("*.pdf")) if hostile_project.out.exists() else True


@pytest.mark.parametrize("address,timeout,needle", [
    ("dask://127.0.0.1:abc", "2s", "port must be a number"),
    ("dask://[::1", "2s", "closing ']'"),
    ("dask://127.0.0.1:99999", "2s", "port must be a number"),
    ("dask://127.0.0.1:8786/path", "2s", "not HOST:PORT"),
    ("dusk://127.0.0.1:8786", "2s", "not understood"),
    ("dask://127.0.0.1:8786", "soon", "HANDOUTS_DASK_TIMEOUT='soon'"),
    ("dask://127.0.0.1:8786", "-5s", "HANDOUTS_DASK_TIMEOUT='-5s'"),
])
def test_a_bad_address_or_timeout_is_one_line_before_connecting(hostile_project, address, timeout, needle):
    code, _, err, seconds = _build_with(hostile_project, address, timeout)
    _one_line(code, err, needle)
    assert seconds < 15  # said at once, not after waiting out a timeout
