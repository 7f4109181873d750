"Privacy in the playground and the privacy-utility app, headless: choosing DP changes the run, epsilon per site arrives live, bad input is a message."
import math
import pandas as pd
import pytest
from fhai_nb.accounting import epsilon_for
from fhai_nb.cli import main
from fhai_nb.core import FhaiError
from fhai_nb.runs import RunConfig, run
from fhai_nb.widgets import Experiment, TrainingState, experiment_config
from fhai_nb.panels import TrainingPanel, RunPanel, ResultsPanel, CodePanel, PrivacyPanel
from fhai_nb.privacy_app import PrivacyUtilityApp, PrivacyUtilityState, privacy_utility

HD = ["cleveland", "hungary", "switzerland", "va"]

def _experiment(**training) -> Experiment:
    return Experiment(training=TrainingState(rounds=3, **training), mode="sync", evaluate=False)

def test_choosing_dp_in_the_panel_changes_the_run():
    plain = _experiment(); RunPanel(plain).run_button.click()
    ex = _experiment(); tp = TrainingPanel(ex.training)
    tp.privacy_mode.value = "client_dp"; tp.noise_multiplier.value = 1.5; tp.clip_norm.value = 0.5
    assert tp.noise_multiplier.layout.display is None and tp.target_epsilon.layout.display == "none"
    assert "Client-level DP" in tp.privacy_summary.value
    RunPanel(ex).run_button.click()
    assert ex.run.status == "done", ex.run.message
    assert [t["name"] for t in ex.config.training["transforms"]] == ["dp_fedavg"]
    led = ex.model.history_.ledger
    assert list(led["round"]) == [1, 2, 3] and list(led.mechanism) == ["dp_fedavg"] * 3
    assert led.epsilon.iloc[-1] == pytest.approx(epsilon_for(1.5, 1.0, 3, 1e-5), rel=1e-12)
    assert not plain.model.history_.frame.equals(ex.model.history_.frame)  # the noise changed the model
    assert plain.model.history_.ledger.empty

def test_epsilon_per_site_arrives_live_round_by_round():
    ex = _experiment(privacy="client_dp", noise_multiplier=1.0)
    pp = PrivacyPanel(ex)
    seen = []  # (status, rounds in the ledger) whenever ledger rows arrive
    ex.run.observe(lambda c: seen.append((ex.run.status, len(ex.run.epsilon()) // 4)), names="ledger")
    assert ex.start() and ex.run.status == "done"
    assert seen[:3] == [("running", 1), ("running", 2), ("running", 3)]  # before the run finished, one round at a time
    spent = ex.run.spent()
    assert list(spent.index) == HD and spent.nunique() == 1  # client-level: one guarantee, the same for every site
    assert spent.iloc[0] == pytest.approx(epsilon_for(1.0, 1.0, 3, 1e-5), rel=1e-12)
    assert all(f"data-site='{s}'" in pp.table.value for s in HD) and pp.rounds.value.count("data-round=") == 3
    row = ex.session.table().iloc[-1]
    cols = list(ex.session.table().columns)
    assert cols.index("epsilon") == cols.index("auroc_worst") + 1  # beside AUROC
    assert row.epsilon == pytest.approx(spent.max(), abs=1e-4) and row.privacy.startswith("client DP")
    html = ResultsPanel(ex.session, plots=False).table.value
    assert "epsilon" in html and "client DP" in html

def test_target_epsilon_and_distributed_noise_under_secure_aggregation():
    ex = _experiment(privacy="client_dp", dp_calibration="epsilon", target_epsilon=8.0, dp_noise="distributed", secagg_threshold=3)
    tp = TrainingPanel(ex.training)
    assert tp.secagg_threshold.layout.display is None and tp.noise_multiplier.layout.display == "none"
    assert ex.start() and ex.run.status == "done", ex.run.message
    assert [t["name"] for t in ex.config.training["transforms"]] == ["dp_fedavg", "secure_aggregation"]
    assert 7.9 < ex.run.spent().max() <= 8.0
    assert set(ex.run.ledger.mechanism) == {"dp_fedavg", "secure_aggregation"}

def test_record_level_dp_sgd_in_the_playground():
    "Record-level DP: DP-SGD inside every site, its own epsilon per site (more at a small site), the run equal to its code."
    ex = Experiment(training=TrainingState(rounds=3, privacy="record_dp", noise_multiplier=1.2, clip_norm=0.5, batch_size=16), mode="sync")
    tp, pp = TrainingPanel(ex.training), PrivacyPanel(ex)
    assert tp.clip_norm.layout.display is None and tp.noise_multiplier.layout.display is None
    assert tp.dp_noise.layout.display == "none" and tp.secagg_threshold.layout.display == "none"  # client-level choices only
    assert "Record-level DP-SGD" in tp.privacy_summary.value and "16/n" in tp.privacy_summary.value
    assert ex.start() and ex.run.status == "done", ex.run.message
    tr = ex.config.training
    assert tr["batch_size"] is None and tr["dp"]["expected_batch_size"] == 16 and "transforms" not in tr
    led = ex.model.history_.ledger
    assert set(led.mechanism) == {"dp_sgd"} and set(led.level) == {"record"} and len(led) == 3 * len(HD)
    spent = ex.run.spent()
    assert list(spent.index) == HD and spent.idxmax() == "switzerland"  # the smallest site: highest sampling rate
    final = led[led["round"] == 3].set_index("site").epsilon
    pd.testing.assert_series_equal(spent, final.rename("epsilon"), check_names=False)
    assert "record-level DP protects each patient" in pp.message.value
    row = ex.session.table().iloc[-1]
    assert row.privacy == "record DP (sigma 1.2, C 0.5, B 16)" and row.epsilon == pytest.approx(spent.max(), abs=1e-4)
    assert ex.session.comparison is not None
    assert "federated (FedAvg, record-level DP)" in set(ex.session.comparison.method)
    code = CodePanel(ex.federation, ex.training).show()
    assert "dp=DPSGD(max_grad_norm=0.5, expected_batch_size=16" in code
    ns = {}; exec(code, ns)
    pd.testing.assert_frame_equal(ns["history"].ledger, ex.model.history_.ledger)

def test_record_level_dp_with_a_target_epsilon():
    ex = _experiment(privacy="record_dp", dp_calibration="epsilon", target_epsilon=6.0)
    assert ex.start() and ex.run.status == "done", ex.run.message
    spent = ex.run.spent()
    assert (spent <= 6.0 + 1e-9).all() and (spent > 5.0).all()  # each site's noise is calibrated to its own sampling rate

def test_secure_aggregation_alone_has_no_epsilon():
    ex = _experiment(privacy="secagg", secagg_threshold=3)
    pp = PrivacyPanel(ex)
    assert ex.start() and ex.run.status == "done", ex.run.message
    assert ex.run.epsilon().empty and (ex.run.ledger.mechanism == "secure_aggregation").all()
    assert ex.session.table().epsilon.iloc[-1] == math.inf
    assert "no differential privacy" in pp.message.value

_BAD_DP = [
    (dict(clip_norm=0.0), "clip norm must be a positive number"),
    (dict(clip_norm=-1.0), "clip norm must be a positive number"),
    (dict(delta=0.0), "delta must be in (0, 1)"),
    (dict(delta=1.5), "delta must be in (0, 1)"),
    (dict(noise_multiplier=-1.0), "noise_multiplier must be a non-negative number"),
    (dict(dp_calibration="epsilon", target_epsilon=0.0), "target_epsilon must be a positive number"),
]

@pytest.mark.parametrize("privacy, settings, message",
                         [("client_dp", *b) for b in _BAD_DP] + [("client_dp", dict(strategy="fedmedian"), "use strategy 'fedavg' or 'fedprox'")]
                         + [("record_dp", *b) for b in _BAD_DP])
def test_bad_privacy_input_is_a_message_not_a_traceback(privacy, settings, message):
    ex = _experiment(privacy=privacy, **settings)
    tp, rp = TrainingPanel(ex.training), RunPanel(ex)
    assert message in tp.privacy_summary.value and "#9c1c1c" in tp.privacy_summary.value  # shown before Run, in red
    rp.run_button.click()
    assert ex.run.status == "error" and message in ex.run.message and "Traceback" not in ex.run.message
    assert message in rp.message.value
    assert not ex.session.runs  # nothing ran

def test_threshold_above_the_sites_fails_the_run_with_a_message():
    ex = _experiment(privacy="secagg", secagg_threshold=5)  # Heart Disease has 4 hospitals
    assert ex.start() is True
    assert ex.run.status == "error" and "needs at least 5 sites in a round" in ex.run.message

def test_show_code_reproduces_the_private_run():
    ex = _experiment(privacy="client_dp", dp_calibration="epsilon", target_epsilon=6.0, clip_norm=0.5)
    code = CodePanel(ex.federation, ex.training).show()
    assert "DPFedAvg(noise_multiplier=noise_for(target_epsilon=6.0" in code
    ns = {}; exec(code, ns)
    assert ex.start() and ex.run.status == "done"
    pd.testing.assert_frame_equal(ns["history"].frame, ex.model.history_.frame)  # the live ledger tap changes nothing
    pd.testing.assert_frame_equal(ns["history"].ledger, ex.model.history_.ledger)

def test_config_with_privacy_round_trips_and_runs_from_the_cli(tmp_path, capsys):
    cfg = experiment_config(_experiment().federation, TrainingState(rounds=2, privacy="client_dp", noise_multiplier=2.0, dp_noise="distributed", secagg_threshold=3))
    assert RunConfig.from_dict(cfg.to_dict()) == cfg and RunConfig.from_yaml(cfg.to_yaml()) == cfg
    p = tmp_path / "dp.yaml"; cfg.to_yaml(p)
    assert main(["run", str(p), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    from fhai_nb.runs import Run
    r = Run.load(tmp_path / "out")
    dp = r.ledger[r.ledger.mechanism == "dp_fedavg"]
    assert dp.epsilon.iloc[-1] == pytest.approx(epsilon_for(2.0, 1.0, 2, 1e-5), rel=1e-9)
    assert main(["run", str(p), "--code"]) == 0
    assert "SecureAggregation(threshold=3)" in capsys.readouterr().out
    bad = cfg.to_dict(); bad["training"]["transforms"][0]["clip_norm"] = 0
    with pytest.raises(FhaiError, match="transform 'dp_fedavg': clip norm must be a positive number"): RunConfig.from_dict(bad).validate()

def test_privacy_utility_app_headless():
    app = PrivacyUtilityApp(PrivacyUtilityState(noise_multipliers="1, 4", rounds=3, attack=True), mode="sync", plot=False)
    app.button.click()
    t = app.state.table
    assert app.state.status == "done" and "data-status='done'" in app.status.value
    allsites = t[t.site == "all sites"]
    assert math.isinf(allsites.epsilon.iloc[0]) and list(allsites.epsilon.iloc[1:]) == sorted(allsites.epsilon.iloc[1:], reverse=True)
    assert allsites.auroc.iloc[-1] < allsites.auroc.iloc[0]  # sigma 4: a guarantee with a cost
    assert t.attack_auroc.between(0, 1).all() and t.attack_tpr_at_1pct_fpr.between(0, 1).all()
    for field, value, message in [("clip_norm", 0.0, "clip norm must be a positive number"), ("delta", 1.0, "delta must be in (0, 1)"),
                                  ("noise_multipliers", "1, x", "numbers separated by commas"), ("noise_multipliers", "0", "positive numbers")]:
        st = PrivacyUtilityState(rounds=2, attack=False, **{field: value})
        a = PrivacyUtilityApp(st, mode="sync", plot=False)
        a.button.click()
        assert st.status == "error" and message in st.message and message in a.status.value and "Traceback" not in a.status.value

def test_privacy_utility_matches_the_accountant_and_is_seeded():
    a = privacy_utility("synthetic", [2.0], rounds=4, attack=False, seed=3)
    b = privacy_utility("synthetic", [2.0], rounds=4, attack=False, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.epsilon.iloc[-1] == pytest.approx(epsilon_for(2.0, 1.0, 4, 1e-5), rel=1e-12)
    assert set(a.site) == {f"hospital_{i}" for i in range(6)} | {"all sites"}
