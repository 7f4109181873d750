"The benchmark's data, engines and command line (timings are never asserted: they are what the benchmark reports)."
import json
import os
import shutil
from dataclasses import replace

import numpy as np
import pytest

from fhai_nb import bench
from fhai_nb.core import FhaiError

TINY = bench.Workload("tiny", 3, 60, 5, "logreg", 2)


def test_workloads_match_the_issue():
    w = bench.WORKLOADS
    assert (w["W1"].n_sites, w["W1"].n_rows, w["W1"].n_features, w["W1"].model, w["W1"].rounds) == (4, 250, 13, "logreg", 50)
    assert w["W1"].eval_every_round and w["W1"].local_epochs == 1
    assert (w["W2"].n_sites, w["W2"].n_rows, w["W2"].n_features, w["W2"].model, w["W2"].rounds, w["W2"].local_steps) == (100, 200, 20, "mlp", 50, 5)
    assert (w["W3"].n_sites, w["W3"].n_rows, w["W3"].rounds) == (1000, 100, 20)
    assert (w["W4"].n_sites, w["W4"].n_rows, w["W4"].rounds, w["W4"].flower) == (10000, 100, 20, False)
    assert all(x.batch_size == 32 and x.lr == 0.05 and x.train_fraction == 0.8 for x in w.values())


def test_label_model_is_the_logistic_model_of_the_issue():
    "Pooled over many rows, a logistic regression recovers w (norm 3) and the 0.3 intercept."
    from sklearn.linear_model import LogisticRegression
    wl = bench.Workload("big", 1, 40000, 6, "logreg", 1, train_fraction=1.0)
    x, y, _, _ = bench.site_data(wl, 0, seed=3)
    assert x.dtype == np.float32 and set(np.unique(y)) == {0.0, 1.0}
    m = LogisticRegression(C=1e6, max_iter=1000).fit(x, y)
    w = bench.true_direction(6, seed=3)
    assert np.linalg.norm(w) == pytest.approx(3.0)
    assert np.allclose(m.coef_[0], w, atol=0.15), (m.coef_[0], w)
    assert m.intercept_[0] == pytest.approx(0.3, abs=0.08)


def test_sites_are_iid_and_split_80_20():
    wl = replace(bench.WORKLOADS["W3"], n_sites=2)
    a, b = bench.site_data(wl, 0), bench.site_data(wl, 1)
    assert [len(v) for v in a] == [80, 80, 20, 20]
    assert not np.array_equal(a[0], b[0])
    fed = bench.make_federation(wl)
    assert np.array_equal(fed[1].local_frame("train")[bench.feature_names(wl)].to_numpy(), b[0])
    assert np.array_equal(fed[1].local_frame("test")["y"].to_numpy(), b[3])


def test_engines_run_the_same_math_and_learn():
    "The plain torch loop and both fhai_nb executors reach similar accuracy on the same tiny federation."
    wl = replace(TINY, rounds=8, n_rows=300)
    accs = {e: bench.run_torch_loop(wl)["accuracy"] if e == "torch" else bench.run_fhai(wl, e)["accuracy"]
            for e in ("torch", "vectorised", "sequential")}
    # the executors agree to ~1e-6 in float32 logits: accuracy can differ only where a logit sits that close to the
    # threshold, at most a test row or two on another CPU (a count ratio, so compare in rows, not to 1e-9)
    n_test = wl.n_sites * (wl.n_rows - wl.n_train)
    assert abs(accs["vectorised"] - accs["sequential"]) <= 2 / n_test
    assert all(0.7 < a <= 1 for a in accs.values()), accs


def test_measure_runs_a_fresh_process():
    r = bench.measure("vectorised", TINY)
    assert r["engine"] == "vectorised" and r["rounds"] == 2 and r["cpus"] == os.cpu_count()
    assert r["wall_s"] > r["train_s"] > 0 and r["peak_mem_mb"] > 50 and 0 <= r["accuracy"] <= 1


def test_summarise_ratios():
    import pandas as pd
    rows = [dict(workload="W", engine=e, n_sites=3, rounds=2, wall_s=w, train_s=t, per_round_s=t / 2, peak_mem_mb=100.0, accuracy=0.8)
            for e, w, t in [("vectorised", 2.0, 0.5), ("sequential", 4.0, 5.0), ("flower", 60.0, 50.0), ("torch", 3.0, 1.0)]]
    s = bench.summarise(pd.DataFrame(rows)).iloc[0]
    assert s.x_vs_flower_whole == pytest.approx(30.0)
    assert s.x_loop_vs_sequential == pytest.approx(10.0)
    assert s.x_vs_torch_loop_whole == pytest.approx(1.5)


def test_cli_writes_results(tmp_path):
    bench.WORKLOADS["Wt"] = TINY
    try:
        rc = bench.main(["--workloads", "Wt", "--engines", "vectorised,torch", "--no-scaling", "--out", str(tmp_path)])
    finally:
        bench.WORKLOADS.pop("Wt")
    assert rc == 0
    import pandas as pd
    res = pd.read_csv(tmp_path / "results.csv")
    assert sorted(res.engine) == ["torch", "vectorised"]
    assert json.loads((tmp_path / "machine.json").read_text())["cpus"] == os.cpu_count()


def test_cli_bad_input():
    with pytest.raises(FhaiError, match="unknown workload"):
        bench.main(["--workloads", "W9", "--skip-flower"])
    with pytest.raises(FhaiError, match="unknown engine"):
        bench.main(["--engines", "spark"])


def test_scaling_plot(tmp_path):
    import pandas as pd
    df = pd.DataFrame(dict(engine=["vectorised", "vectorised", "sequential"], n_sites=[10, 100, 10], median_round_s=[0.001, 0.002, 0.01]))
    assert bench.plot_scaling(df, tmp_path / "s.png").stat().st_size > 1000
    assert "plotly" in (bench.plot_scaling(df, tmp_path / "s.html")).read_text()[:5000].lower()


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FHAI_SLOW") != "1", reason="starts Ray (about 20 s); run with FHAI_SLOW=1")
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare for the loopback-only namespace")
def test_flower_runs_in_loopback_namespace():
    r = bench.measure("flower", replace(TINY, n_sites=2, rounds=2))
    assert r["engine"] == "flower" and 0 <= r["accuracy"] <= 1 and r["peak_mem_mb"] > 200


def test_skip_flower_keeps_w4_on_the_vectorised_executor():
    "--skip-flower must not turn W4 (10,000 sites) into a sequential and plain-torch run: only asked-for engines go there."
    assert bench._engines_for(bench.WORKLOADS["W4"], ("vectorised", "sequential", "torch")) == ["vectorised"]
    assert bench._engines_for(bench.WORKLOADS["W4"], ("vectorised", "sequential")) == ["vectorised", "sequential"]
    assert bench._engines_for(bench.WORKLOADS["W3"], ("vectorised", "sequential", "torch")) == ["vectorised", "sequential", "torch"]


@pytest.mark.parametrize("args,msg", [
    (["--scaling-max", "sequential:1000"], "--scaling-max takes ENGINE=SITES"),
    (["--scaling-max", "seqential=1000"], "--scaling-max takes ENGINE=SITES"),
    (["--scaling-sites", "10,abc"], "--scaling-sites takes comma-separated positive integers"),
])
def test_cli_bad_scaling_args_fail_before_any_run(monkeypatch, tmp_path, args, msg):
    "A typo in the scaling options is reported before the (long) benchmark runs, not after it."
    ran = []
    monkeypatch.setattr(bench, "run_benchmark", lambda *a, **k: ran.append(a))
    with pytest.raises(FhaiError, match=msg):
        bench.main(["--workloads", "W1", "--engines", "vectorised", "--out", str(tmp_path / "o")] + args)
    assert not ran and not (tmp_path / "o").exists()
