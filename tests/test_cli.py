"The fhai command line: called through main(argv) and as a real process."
import subprocess, sys, importlib.util, os
import pytest
from fhai_nb.cli import main, _lazy
from fhai_nb.core import FhaiError
from fhai_nb.runs import RunConfig, Run

def test_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for c in ("demo", "run", "bench", "dashboards"): assert c in out

def test_unknown_command():
    with pytest.raises(SystemExit) as e: main(["frobnicate"])
    assert e.value.code == 2

def test_lazy_missing_module_message():
    with pytest.raises(FhaiError, match="pip install"):
        _lazy("fhai_nb.not_a_module", "main", "pip install 'fhai_nb[flower]'")

def test_bench_delegates(monkeypatch):
    import fhai_nb.bench as b
    seen = []
    monkeypatch.setattr(b, "main", lambda argv: seen.append(argv) or 0)
    assert main(["bench", "--workloads", "W1", "--skip-flower"]) == 0
    assert seen == [["--workloads", "W1", "--skip-flower"]]

def test_bench_absent_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fhai_nb.bench", None)  # import of it fails as if not installed
    assert main(["bench"]) == 2
    assert "fhai_nb[flower]" in capsys.readouterr().err

def test_dashboards_delegate(monkeypatch):
    import fhai_nb.playground as pg
    seen = {}
    monkeypatch.setattr(pg, "serve", lambda port=8866, pool_size=1, cull_idle_timeout=300: seen.update(port=port, pool_size=pool_size))
    assert main(["dashboards", "--port", "9999", "--pool-size", "3"]) == 0
    assert seen == {"port": 9999, "pool_size": 3}

def test_dashboards_absent(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fhai_nb.playground", None)
    assert main(["dashboards"]) == 2
    assert "dashboards" in capsys.readouterr().err

def test_run_config_and_save(tmp_path, capsys):
    cfg = RunConfig(training={"rounds": 2, "batch_size": 32}, strategy="fedprox", strategy_kwargs={"mu": 0.1}, name="t")
    cfg.to_yaml(tmp_path / "c.yaml")
    assert main(["run", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "final test metrics" in out and "cleveland" in out
    assert Run.load(tmp_path / "o").config == cfg

def test_run_bad_config_exit_2(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("strategy: fedavgg\n")
    assert main(["run", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'fedavg'" in err and "Traceback" not in err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2

def test_run_subprocess_with_progress(tmp_path):
    RunConfig(training={"rounds": 2}).to_json(tmp_path / "c.json")
    r = subprocess.run([sys.executable, "-m", "fhai_nb.cli", "run", str(tmp_path / "c.json")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "2/2" in r.stderr and "weighted" in r.stdout  # tqdm bar on stderr, table on stdout

def test_demo_subprocess():
    r = subprocess.run([sys.executable, "-m", "fhai_nb.cli", "demo"], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    for s in ("Heart Disease (FLamby protocol)", "Heart Disease (raw", "Synthetic EHR", "switzerland", "FedAvg", "local only",
              "pooled (NON-PRIVATE)", "AUROC", "Accuracy", "worst"):
        assert s in r.stdout, s

def test_demo_bad_rounds_fails_before_work(capsys):
    assert main(["demo", "--rounds", "0"]) == 2
    cap = capsys.readouterr()
    assert "--rounds must be a positive integer" in cap.err and "Heart Disease" not in cap.out

def test_run_bad_rounds_with_progress_bar_is_a_clear_error(tmp_path, capsys):
    "The default (progress bar on) must report run_federated's message, not crash in tqdm on a non-integer total."
    (tmp_path / "r.yaml").write_text("training:\n  rounds: ten\n")
    assert main(["run", str(tmp_path / "r.yaml")]) == 2
    err = capsys.readouterr().err
    assert "rounds must be a positive integer, got 'ten'" in err and "Traceback" not in err

def test_run_code_prints_the_one_generators_code(tmp_path, capsys):
    "`fhai run CONFIG --code` prints RunConfig.to_python(), which reproduces what `fhai run CONFIG` trains."
    import pandas as pd
    cfg = RunConfig(training={"rounds": 2, "batch_size": 32}, strategy="fedprox", strategy_kwargs={"mu": 0.1}, seed=3)
    cfg.to_yaml(tmp_path / "c.yaml")
    assert main(["run", str(tmp_path / "c.yaml"), "--code"]) == 0
    code = capsys.readouterr().out
    assert code == cfg.to_python() + "\n"
    ns = {}
    exec(code, ns)
    from fhai_nb.runs import run
    pd.testing.assert_frame_equal(ns["history"].frame, run(cfg).frame)
    (tmp_path / "bad.yaml").write_text("strategy: fedavgg\n")
    assert main(["run", str(tmp_path / "bad.yaml"), "--code"]) == 2
