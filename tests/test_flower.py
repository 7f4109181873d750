"Flower executor: the ClientApp/ServerApp pair over an in-process Grid gives the in-process engine's numbers; the coordinator keeps the boundary."
import ast, inspect, textwrap
import numpy as np
import pytest
pytest.importorskip("flwr")
from fhai_nb import flower as F
from fhai_nb.core import FhaiError
from fhai_nb.runs import RunConfig, run
from fhai_nb.sources import build_federation

FED_CACHE = {}

def _fed(cfg):
    key = cfg.to_json()
    if key not in FED_CACHE: FED_CACHE[key] = build_federation(cfg.data)
    return FED_CACHE[key]

def _via_loopback(cfg, **kw):
    fed = _fed(cfg)
    load = lambda ctx: F.Hospital(fed.sites[ctx.node_config["partition-id"]], ctx.node_config["partition-id"], fed.schema, cfg)
    grid = F.LoopbackGrid(F.client_app(load), [{"partition-id": i} for i in range(len(fed.sites))])
    return F.run_on_grid(grid, cfg, fed.schema, fed.site_names, log=lambda m: None, **kw)

def _check_close(a, b):
    "Smooth metrics within float32 rounding (compounded over rounds); rank and threshold metrics within a few swapped near-ties."
    d = F.compare_runs(a, b).max_abs_diff
    assert d[d.index.isin(F.CONTINUOUS)].max() < 1e-5, d
    assert d.max() < 2e-3, d  # AUROC moves by 1/(positives x negatives) ~ 1.4e-4 per swapped pair at Heart Disease's sizes
    for k in a.params: assert float((a.params[k].double() - b.params[k].double()).abs().max()) < 1e-5

@pytest.mark.parametrize("strategy,kwargs,training", [
    ("fedprox", dict(mu=0.1), dict(rounds=2)),
    ("scaffold", {}, dict(rounds=3)),  # control variates live in each node's context.state between rounds
    ("fedavg", dict(fraction=0.5), dict(rounds=3)),  # site sampling from the same random stream as run_federated
    ("fedavg", {}, dict(rounds=3, local_steps=4, batch_size=16)),  # steps mode: each site's iterator continues across rounds
    ("fedadam", {}, dict(rounds=2, preprocess="site")),
    ("ditto", dict(lam=0.1), dict(rounds=2)),  # a personal model at each site, in its own state
])
def test_strategies_through_flower_messages_match_the_engine(strategy, kwargs, training):
    cfg = RunConfig(strategy=strategy, strategy_kwargs=kwargs, training=training, seed=3)
    a, b = run(cfg), _via_loopback(cfg)
    _check_close(a, b)
    assert list(a.log["selected"]) == list(b.log["selected"])

def test_clip_norm_runs_at_the_site():
    cfg = RunConfig(training=dict(rounds=2, transforms=[dict(name="clip_norm", max_norm=0.05)]), seed=1)
    a, b = run(cfg), _via_loopback(cfg)
    _check_close(a, b)

@pytest.mark.parametrize("cfg,msg", [
    (RunConfig(faults=dict(dropout=0.1)), "dropout is real"),
    (RunConfig(training=dict(personalise="finetune")), "personalise"),
    (RunConfig(training=dict(checkpoint="ck")), "checkpoint"),
    (RunConfig(training=dict(transforms=[dict(name="secure_aggregation")])), "secure_aggregation"),
])
def test_unsupported_options_are_refused_by_name(cfg, msg):
    with pytest.raises(FhaiError, match=msg): F.flower_recipe(cfg)

def test_wire_keeps_types_and_nan():
    x = {"a": np.arange(3, dtype=np.int32), "b": (1, "x"), ("k", 2): [np.float32(1.5), float("nan")], "d": {"e": np.zeros((2, 2))}}
    y = F.from_wire(F.to_wire(x))
    assert y["a"].dtype == np.int32 and y["b"] == (1, "x") and np.isnan(y[("k", 2)][1]) and y["d"]["e"].shape == (2, 2)

def test_schema_check_names_every_bad_column():
    fed = _fed(RunConfig())
    t = F.hospital_table(fed.sites[0]).drop(columns="age").assign(fbs=lambda d: d.fbs.map({0.0: "no", 1.0: "yes"}))
    probs = F.schema_problems(t, fed.schema)
    assert any("'age' is missing" in p for p in probs) and any("'fbs' should hold numbers" in p and "no" in p for p in probs)
    with pytest.raises(FhaiError, match="split' may hold only"): F.hospital_site(F.hospital_table(fed.sites[0]).assign(split="val"), fed.schema, "x")

def test_no_site_answers_is_a_clear_stop_not_a_hang():
    cfg = RunConfig(training=dict(rounds=2))
    fed = _fed(cfg)
    load = lambda ctx: F.Hospital(fed.sites[ctx.node_config["partition-id"]], ctx.node_config["partition-id"], fed.schema, cfg)
    grid = F.LoopbackGrid(F.client_app(load), [{"partition-id": i} for i in range(4)], gone=lambda n, g: True)
    with pytest.raises(FhaiError, match="only 0 of the 4 hospitals are connected"):
        F.run_on_grid(grid, cfg, fed.schema, fed.site_names, round_timeout=0.5, log=lambda m: None)

def _touches_rows(fn):
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    return [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("local_")]

def test_coordinator_side_never_reads_rows():
    fns = [F.run_on_grid, F._grid_setup, F.server_app, *[m for _, m in inspect.getmembers(F.FlowerSites, inspect.isfunction)]]  # methods defined after the class too
    for fn in fns:
        assert not _touches_rows(fn), f"{fn.__qualname__} touches a site's rows"
    src = "".join(inspect.getsource(fn) for fn in fns if fn is not F.server_app)
    assert "Hospital" not in src and "build_federation" not in src

def test_fhai_export_writes_an_app(tmp_path, capsys):
    from fhai_nb.cli import main
    RunConfig(training=dict(rounds=2), name="study one").to_yaml(tmp_path / "c.yaml")
    assert main(["export", str(tmp_path / "c.yaml"), str(tmp_path / "app"), "--round-timeout", "45", "--min-sites", "3"]) == 0
    assert (tmp_path / "app" / "fhai_app" / "client_app.py").exists() and "wrote the Flower app" in capsys.readouterr().out
    import tomllib
    assert tomllib.loads((tmp_path / "app" / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"]["min-sites"] == 3
    assert main(["export", str(tmp_path / "c.yaml"), str(tmp_path / "app")]) == 2  # not empty: refused with a message
    assert "not an empty folder" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "c.yaml"), str(tmp_path / "app5"), "--min-sites", "5"]) == 2
