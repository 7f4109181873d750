"""End to end on 127.0.0.1 with real processes: a SuperLink (TLS, throwaway certificates), four SuperNodes each reading one
hospital's CSV from its own folder, `flwr run` of the exported app. Slow (minutes: every message starts a ClientApp process)."""
import os, shutil, time
import pytest
pytest.importorskip("flwr")
from fhai_nb.core import FhaiError
from fhai_nb.deploy import LocalDeployment, export_app, write_hospital_csvs
from fhai_nb.flower import CONTINUOUS, compare_runs, hospital_table
from fhai_nb.runs import RunConfig, run
from fhai_nb.sources import build_federation

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("FHAI_SLOW") != "1", reason="starts a SuperLink and four SuperNodes (minutes); run with FHAI_SLOW=1"),
              pytest.mark.skipif(shutil.which("flower-superlink") is None and not os.path.exists(os.path.join(os.path.dirname(__import__("sys").executable), "flower-superlink")),
                                 reason="flower-superlink not installed")]

def _setup(tmp_path, cfg, round_timeout=60.0, broken=None):
    fed = build_federation(cfg.data)
    app = export_app(cfg, tmp_path / "app", fed, round_timeout=round_timeout)
    csvs = write_hospital_csvs(fed, tmp_path / "hospitals")
    if broken:  # this hospital's export names a column differently
        t = hospital_table(fed.sites[broken])
        t.rename(columns={"thalach": "max_heart_rate"}).to_csv(csvs[fed.site_names[broken]], index=False)
    return fed, app, csvs

def test_deployment_gives_the_simulation_numbers(tmp_path):
    cfg = RunConfig(training=dict(rounds=3), seed=0, name="heart-fedavg")
    fed, app, csvs = _setup(tmp_path, cfg, round_timeout=300.0)  # a bound on any wait, not the expected time
    with LocalDeployment(app, csvs, tmp_path / "work", tls=True) as dep:
        deployed = dep.run(tmp_path / "results", timeout=900)
    d = compare_runs(run(cfg), deployed).max_abs_diff
    assert d[d.index.isin(CONTINUOUS)].max() < 1e-6, d  # float32 messages both ways; one site alone vs four stacked
    assert d.max() < 2e-3, d  # rank metrics: at most a swapped near-tie
    assert deployed.meta["executor"] == "flower-deployment" and deployed.meta["sites"] == fed.site_names
    assert all((tmp_path / "results" / f).exists() for f in ("history.csv", "config.yaml", "ledger.csv", "log.csv", "params.pt"))

def test_killed_supernode_is_a_dropout_and_a_bad_csv_is_refused(tmp_path):
    cfg = RunConfig(training=dict(rounds=4), seed=0, name="heart-dropout")
    fed, app, csvs = _setup(tmp_path, cfg, round_timeout=60.0, broken=1)  # hungary's CSV lacks 'thalach'
    with LocalDeployment(app, csvs, tmp_path / "work", tls=True) as dep:
        dep.run(tmp_path / "results", wait=False, overrides={"min-sites": 2})
        t0 = time.monotonic()
        while "round 1/4" not in dep.log("run"):
            assert time.monotonic() - t0 < 600, dep.log("run")[-3000:]
            time.sleep(1)
        dep.kill("va")  # va's machine disappears after round 1
        r = dep.result(tmp_path / "results", timeout=600)  # a hang would end here with a FhaiError
        assert "column 'thalach' is missing" in dep.log("supernode-hungary")  # the site says why it stopped
        # with min-sites=3 the two hospitals left are too few: a clear message, no hang
        with pytest.raises(FhaiError, match="min_sites=3"):
            dep.run(tmp_path / "results3", timeout=600, overrides={"min-sites": 3})
    assert r.meta["sites"] == ["cleveland", "switzerland", "va"]
    assert any("column 'thalach' is missing" in v for v in r.meta["refused"].values())
    assert r.meta["stopped"] is None and r.meta["rounds_run"] == 4
    assert "va" not in r.log["dropped"].iloc[0] and "va" in r.log["dropped"].iloc[-1].split(",")
    assert set(r.frame[r.frame["round"] == 4].site) >= {"cleveland", "switzerland", "weighted"}
