"""The same jobs through a real Dask cluster (two worker processes): same bytes, and the
client alone publishes."""

from __future__ import annotations

import json
import shutil

import pytest
from pdfcheck import FICTIONAL

distributed = pytest.importorskip("distributed")


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
