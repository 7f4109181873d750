"RunConfig: replay, save/load, to_python, and the errors a bad config gets."
import json
import pandas as pd
import pytest
from fhai_nb.core import FhaiError
from fhai_nb.runs import RunConfig, Run, run
from fhai_nb.sources import build_federation

FLAMBY_PRE = {"impute": None, "scale": "site", "one_hot": False, "ddof": 1, "eps": 1e-9}

def small(**kw):
    d = dict(data={"source": "heart_disease"}, strategy="fedavg",
             training={"rounds": 2, "local_steps": 5, "batch_size": 4, "lr": 0.01, "preprocess": FLAMBY_PRE}, seed=42)
    d.update(kw)
    return RunConfig(**d)

def test_same_config_same_history_twice():
    c = small(strategy="scaffold")
    a, b = run(c), run(RunConfig.from_yaml(c.to_yaml()))
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.equals(b)

def test_replay_with_faults_and_synthetic():
    c = RunConfig(data={"source": "synthetic", "n_sites": 5, "seed": 2}, strategy="fedmedian",
                  training={"rounds": 2, "batch_size": 32}, faults={"dropout": 0.2, "stragglers": 0.3}, seed=7)
    pd.testing.assert_frame_equal(run(c).frame, run(c).frame)

def test_saved_run_reloads_equal(tmp_path):
    r = run(small(strategy="ditto", strategy_kwargs={"lam": 0.5}))
    assert r.personal
    r.save(tmp_path / "r")
    back = Run.load(tmp_path / "r")
    assert back.equals(r)
    assert not r.equals(r.config) and not r.equals(None)  # not a Run: False, not an AttributeError
    pd.testing.assert_frame_equal(back.frame, r.frame)
    pd.testing.assert_frame_equal(back.log.drop(columns="seconds"), r.log.drop(columns="seconds"))
    meta = json.loads((tmp_path / "r" / "metadata.json").read_text())
    assert meta["versions"]["torch"] and meta["versions"]["fhai_nb"]

def test_ledger_round_trip(tmp_path):
    r = run(small(training={"rounds": 2, "lr": 0.01, "transforms": [{"name": "clip_norm", "max_norm": 0.5}]}))
    r.save(tmp_path / "x"); assert Run.load(tmp_path / "x").equals(r)
    r.save(tmp_path / "x", overwrite=True); assert Run.load(tmp_path / "x").equals(r)
    files = json.loads((tmp_path / "x" / "metadata.json").read_text())["files"]
    assert files == sorted(set(files)) and "metadata.json" in files  # listed once, also after an overwrite

def test_to_python_reproduces():
    c = small(strategy="fedadam", strategy_kwargs={"server_lr": 0.01}, faults={"stragglers": 0.5})
    ns = {}
    exec(c.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, run(c).frame)

def test_json_file_round_trip(tmp_path):
    c = small()
    c.to_json(tmp_path / "c.json"); c.to_yaml(tmp_path / "c.yaml")
    assert RunConfig.from_file(tmp_path / "c.json") == c == RunConfig.from_file(tmp_path / "c.yaml")

@pytest.mark.parametrize("make,msg", [
    (lambda: RunConfig(strategy="fedprocks").validate(), "did you mean 'fedprox'"),
    (lambda: RunConfig(strategy="fedprox", strategy_kwargs={"mu": 0.1, "momentum": 0.9}).validate(), "unknown option 'momentum' of strategy"),
    (lambda: RunConfig(data={"source": "mimic4"}).validate(), "unknown data source 'mimic4'"),
    (lambda: RunConfig(data={"source": "heart_disease", "protocol": "flamby", "center": 1}).validate(), "unknown option 'center'"),
    (lambda: RunConfig(data={"protocol": "flamby"}).validate(), "'source'"),
    (lambda: RunConfig(training={"epochs": 3}).validate(), "unknown training option 'epochs'"),
    (lambda: RunConfig(training={"preprocess": {"scale": "pooled"}}).validate(), "scale must be"),
    (lambda: RunConfig(training={"transforms": [{"name": "dp"}]}).validate(), "unknown transform 'dp'"),
    (lambda: RunConfig(model={"name": "mlp", "width": 3}).validate(), "MLP has no option"),
    (lambda: RunConfig(faults={"dropout": 1.5}).validate(), "dropout must be"),
    (lambda: RunConfig.from_dict({"strategy": "fedavg", "rounds": 3}), "unknown config entry 'rounds'"),
    (lambda: RunConfig(training=[1]), "training must be a dict"),
    (lambda: RunConfig(name=""), "name must be"),
    (lambda: RunConfig.from_file("cfg.toml"), "not found"),
    (lambda: RunConfig.from_yaml("# nothing here\n"), "the config is empty"),
    (lambda: run(RunConfig(training={"rounds": 1, "lr": 0})), "lr must be a positive number"),
])
def test_bad_config(make, msg):
    with pytest.raises(FhaiError) as e: make()
    assert msg in str(e.value)

def test_bad_run_leaves_nothing(tmp_path):
    c = RunConfig(training={"rounds": 1, "lr": -1})
    with pytest.raises(FhaiError): run(c)
    r = run(small())
    (tmp_path / "occupied").mkdir(); (tmp_path / "occupied" / "x").write_text("x")
    with pytest.raises(FhaiError, match="not empty"): r.save(tmp_path / "occupied")
    assert sorted(p.name for p in (tmp_path / "occupied").iterdir()) == ["x"]

def test_build_federation_sources(tmp_path):
    from fhai_nb.data import heart_disease_frame
    df = heart_disease_frame("flamby")
    paths = {}
    for s, g in df.groupby("site"):
        paths[s] = str(tmp_path / f"{s}.csv"); g.drop(columns="site").to_csv(paths[s], index=False)
    f = build_federation({"source": "csv", "paths": paths, "target": "target"})
    assert sorted(f.site_names) == sorted(paths)
    p = build_federation({"source": "partition", "heart_disease": "flamby", "n_sites": 3, "scheme": "iid", "seed": 0})
    assert len(p) == 3
    with pytest.raises(FhaiError, match="exactly one of"): build_federation({"source": "partition", "n_sites": 3})

def test_loaded_run_curves_and_plot(tmp_path):
    r = run(small())
    r.save(tmp_path / "r"); back = Run.load(tmp_path / "r")
    pd.testing.assert_series_equal(back.curve("loss", "train", "cleveland"), r.curve("loss", "train", "cleveland"))
    fig = back.plot("auroc")
    assert {t.name for t in fig.data} == {"cleveland", "hungary", "switzerland", "va", "weighted"}
    with pytest.raises(FhaiError, match="splits:"): back.plot("auroc", "validation")

def test_synthetic_knobs_and_hospitals_replay_and_code():
    c = RunConfig(data={"source": "synthetic", "n_sites": 4, "seed": 3, "n_rows": 150, "case_mix": 0.5, "prevalence_shift": 0.4,
                        "mcar": 0.1, "never_recorded": {"hospital_01": ["lactate"]}},
                  training={"rounds": 2, "batch_size": 32}, seed=1)
    a = run(c)
    ns = {}; exec(c.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, a.frame)
    h = RunConfig(data={"source": "synthetic", "n_sites": None, "seed": 0,
                        "hospitals": [{"name": "a", "n": 200}, {"name": "b", "n": 80, "intercept_shift": 1.0}]},
                  training={"rounds": 1}, seed=0)
    ns = {}; exec(h.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, run(h).frame)
    assert set(run(h).frame.site) >= {"a", "b"}

def test_raw_heart_disease_and_csv_sources_to_python(tmp_path):
    c = RunConfig(data={"source": "heart_disease", "protocol": "raw", "exclude": ["ca"]}, training={"rounds": 1}, seed=0)
    r = run(c)
    assert r.frame.value.notna().any()
    from fhai_nb.data import heart_disease_frame
    df = heart_disease_frame("flamby")
    paths = {}
    for s, g in df.groupby("site", sort=False):
        paths[s] = str(tmp_path / f"{s}.csv"); g.drop(columns="site").to_csv(paths[s], index=False)
    c2 = RunConfig(data={"source": "csv", "paths": paths, "target": "target"}, training={"rounds": 1}, seed=0)
    ns = {}; exec(c2.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, run(c2).frame)
    df.to_csv(tmp_path / "all.csv", index=False)
    c3 = RunConfig(data={"source": "frame", "path": str(tmp_path / "all.csv"), "site_col": "site", "target": "target", "test_size": 0.3},
                   training={"rounds": 1}, seed=0)
    ns = {}; exec(c3.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, run(c3).frame)

def test_early_stopping_and_personalise_configs(tmp_path):
    c = RunConfig(training={"rounds": 4, "lr": 0.5, "early_stopping": {"metric": "loss", "split": "val", "patience": 1},
                            "personalise": {"epochs": 1}}, seed=5)
    r = run(c)
    assert r.personal and "personal_test" in set(r.frame.split)
    ns = {}; exec(c.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, r.frame)
    r.save(tmp_path / "p"); assert Run.load(tmp_path / "p").equals(r)
    with pytest.raises(FhaiError, match="did you mean 'patience'"):
        RunConfig(training={"early_stopping": {"patients": 2}}).validate()

def test_multikrum_alias_builds_multi_krum_everywhere():
    "'multikrum' means Krum with m=2 (as strategies.as_strategy has it) in run() and in to_python(), not plain Krum."
    c = RunConfig(data={"source": "synthetic", "n_sites": 5, "seed": 0, "n_rows": 120}, strategy="multikrum",
                  training={"rounds": 1, "batch_size": 32}, seed=0)
    s = c.build_strategy()
    assert type(s).__name__ == "Krum" and s.m == 2
    assert RunConfig(strategy="multikrum", strategy_kwargs={"m": 3}).build_strategy().m == 3
    assert "strategy=Krum(m=2)," in c.to_python()
    ns = {}; exec(c.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, run(c).frame)


def test_rows_in_memory_replay_and_code(tmp_path):
    "A DataFrame given in Python (a playground upload) runs like a CSV; the code names the file it came from or a df the reader supplies."
    from fhai_nb.data import heart_disease_frame
    df = heart_disease_frame("flamby")
    mem = RunConfig(data={"source": "frame", "site_col": "site", "target": "target", "test_size": 0.3}, data_frame=df,
                    training={"rounds": 2}, seed=4)
    r = run(mem)
    assert mem.data_frame is df and "data_frame" not in mem.to_dict() and "data_frame" not in repr(mem)
    ns = {"df": df.copy()}
    exec(mem.to_python(), ns)
    pd.testing.assert_frame_equal(ns["history"].frame, r.frame)
    pooled = df.drop(columns="site")
    pooled.to_csv(tmp_path / "cohort.csv", index=False)
    named = RunConfig(data={"source": "partition", "path": str(tmp_path / "cohort.csv"), "target": "target", "n_sites": 3,
                            "scheme": "dirichlet", "alpha": 1.0, "seed": 2}, data_frame=pooled, training={"rounds": 2}, seed=1)
    code = named.to_python()
    assert f"df = pd.read_csv({str(tmp_path / 'cohort.csv')!r})" in code and "came from" in code
    ns = {}
    exec(code, ns)  # reads the file the rows came from
    pd.testing.assert_frame_equal(ns["history"].frame, run(named).frame)
    r.save(tmp_path / "saved")
    assert Run.load(tmp_path / "saved").config == mem  # the config is saved; the rows are not
    with pytest.raises(FhaiError, match="works with the data sources"): RunConfig(data_frame=df).validate()
    with pytest.raises(FhaiError, match="data_frame must be a pandas DataFrame"): RunConfig(data_frame=[1, 2])
    with pytest.raises(FhaiError, match="needs path="): run(RunConfig(data={"source": "frame", "site_col": "site", "target": "target"}))
