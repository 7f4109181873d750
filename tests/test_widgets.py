"Headless tests of the playground's state models and panels: no kernel, no browser (Button.click() fires handlers)."
import base64, datetime, re
import pandas as pd
import pytest
import ipywidgets as W
from fhai_nb.core import FhaiError
from fhai_nb.widgets import (FederationState, TrainingState, Experiment, FederationPanel, TrainingPanel, RunPanel, ResultsPanel,
                             CodePanel, BackgroundRunner, playground_code, experiment_config, PlotView)

def test_moving_sites_slider_updates_state_and_preview():
    p = FederationPanel()
    assert p.state.federation.site_names == ["cleveland", "hungary", "switzerland", "va"]
    before = p.state.version
    p.n_sites.value = 2  # what dragging the slider does
    assert p.state.n_sites == 2 and p.state.version > before
    assert p.state.federation.site_names == ["cleveland", "hungary"]
    assert "2 sites" in p.summary.value and "switzerland" not in p.summary.value
    assert p.preview_table.site.tolist() == ["cleveland", "hungary"] and p.bars.value.count("<tr>") == 2  # prevalence bars follow
    assert "Non-IID score" in p.score.value

def test_heterogeneity_knob_moves_noniid_score_and_preview():
    p = FederationPanel(FederationState(source="synthetic", n_sites=4, site_size=400))
    calm = p.state.score
    p.prevalence.value = 2.0  # per-site outcome prevalence shift
    assert p.state.score > calm + 0.01, (calm, p.state.score)
    prev = p.preview_table.prevalence
    assert prev.max() - prev.min() > 0.05  # the sites' prevalences now differ visibly
    assert p.preview.outputs == () and p.preview.layout.display == "none"  # bars are HTML: no plotly figure on the page
    p.view.value = "creatinine"  # a feature's per-site distribution
    assert len(p.preview.data) == 4 and p.preview.figure.layout.title.text.startswith("creatinine")
    assert p.bars.value == "" and p.preview_table is None and p.preview.layout.display is None
    p.view.value = "sizes"
    assert p.preview.outputs == () and p.preview_table.columns.tolist() == ["site", "train", "test"] and "Rows per site" in p.bars.value

def test_partition_and_alpha_controls():
    s = FederationState(partition="dirichlet", n_sites=4, alpha=100.0)
    assert len(s.federation) == 4 and s.error == ""
    iid_like = s.score
    s.alpha = 0.5
    assert s.score > iid_like + 0.01

def test_site_too_small_to_release_its_distributions_is_a_message():
    p = FederationPanel(FederationState(partition="dirichlet", n_sites=6, alpha=0.3))
    assert p.state.federation is not None and "refuses" in p.state.warning and "fewer than the minimum of 5" in p.message.value

def test_every_control_that_rebuilds_the_federation_waits_for_the_user_to_finish():
    "A rebuild re-reads the data and recomputes the heterogeneity report: never once per keystroke or per pixel of a drag."
    p = FederationPanel(preview=False)
    for w in (p.n_sites, p.alpha, p.seed, p.site_size, p.size_skew, p.case_mix, p.prevalence, p.missingness, p.unit_drift,
              p.target, p.site_col):
        assert w.continuous_update is False, w.description

def test_preview_never_shows_the_previous_federation():
    "When the new settings give an error, or a federation too small to release its distributions, the old plot must go."
    p = FederationPanel()
    assert p.preview_table.site.tolist() == ["cleveland", "hungary", "switzerland", "va"]
    p.n_sites.value = 7  # Heart Disease has four hospitals: an error
    assert p.state.federation is None and p.preview_table is None and p.bars.value == ""
    p.n_sites.value = 4
    assert p.bars.value.count("<tr>") == 4
    p.view.value = "age"; p.n_sites.value = 7  # a feature's plot goes too
    assert p.state.federation is None and len(p.preview.data) == 0 and p.preview.outputs == ()
    p.n_sites.value = 4; p.view.value = "prevalence"
    with p.state.hold_trait_notifications():
        p.state.auto, p.state.partition, p.state.n_sites, p.state.alpha = False, "dirichlet", 6, 0.3
    p.state.auto = True; p.state.refresh()
    assert p.state.federation is not None and "refuses" in p.state.warning and p.bars.value == "" and len(p.preview.data) == 0

def test_synthetic_controls_only_shown_for_synthetic():
    p = FederationPanel(preview=False)
    assert p.synthetic_box.layout.display == "none" and p.csv_box.layout.display == "none"
    p.source.value = "synthetic"
    assert p.synthetic_box.layout.display is None and p.partition.layout.display == "none"

def test_strategy_hyperparameters_follow_strategy():
    t = TrainingPanel()
    assert t.mu.layout.display == "none"
    t.strategy.value = "fedprox"
    assert t.mu.layout.display is None and t.server_lr.layout.display == "none"
    t.mu.value = 0.1
    assert t.state.mu == pytest.approx(0.1)
    assert "FedProx(mu=0.1)" in t.state.code()

def _run(rounds=20, **fed):
    ex = Experiment(FederationState(**fed), TrainingState(rounds=rounds), mode="sync")
    panel = RunPanel(ex)
    panel.run_button.click()
    return ex, panel

def test_run_produces_history_plot_and_results():
    ex, panel = _run()
    r = ex.run
    assert r.status == "done", r.message
    assert r.round == r.rounds == 20
    assert sorted(r.history.frame["round"].unique()) == list(range(1, 21))
    assert [t.name for t in panel.plot.data] == ["All sites (weighted)", "cleveland", "hungary", "switzerland", "va"]
    assert all(len(t.x) == 20 for t in panel.plot.data)
    assert panel.progress.value == panel.progress.max == 20
    assert "data-status='done'" in panel.status.value
    res = ResultsPanel(ex.session)
    tab = ex.session.table()
    assert len(tab) == 1 and tab.loc[0, "strategy"] == "FedAvg" and 0.5 < tab.loc[0, "auroc_weighted"] <= 1
    comp = ex.session.comparison
    assert set(comp.method) == {"federated (FedAvg)", "pooled (non-private)", "local only"}
    assert "pooled (non-private)" in res.comparison.value
    assert [t.name for t in res.bars.data] == ["federated (FedAvg)", "pooled (non-private)", "local only"]
    assert len(res.calibration.data) >= 2  # the diagonal and at least one site
    assert "<tbody>" in res.table.value
    csv = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", res.download.value).group(1)).decode()
    assert pd.read_csv(pd.io.common.StringIO(csv)).shape[0] == 1

def test_session_table_keeps_every_run():
    ex, panel = _run(rounds=3)
    ex.training.strategy = "fedprox"
    panel.run_button.click()
    tab = ex.session.table()
    assert list(tab.run) == [1, 2] and list(tab.strategy) == ["FedAvg", "FedProx"]

def test_stop_stops_sync():
    ex = Experiment(training=TrainingState(rounds=20), mode="sync", evaluate=False)
    panel = RunPanel(ex)
    ex.run.observe(lambda c: c["new"] == 3 and panel.stop_button.click(), names="round")  # a user pressing Stop at round 3
    panel.run_button.click()
    assert ex.run.status == "stopped" and ex.run.round == 3
    assert ex.run.history.frame["round"].max() == 3
    assert ex.session.table().loc[0, "status"] == "stopped"
    assert "Stopped after round 3" in panel.message.value

def test_stop_stops_background_thread():
    ex = Experiment(training=TrainingState(rounds=200), mode="thread", evaluate=False)
    panel = RunPanel(ex)
    panel.run_button.click()
    assert ex.runner.used_mode == "thread"
    import time
    t0 = time.time()
    while ex.run.round < 2 and time.time() - t0 < 60: time.sleep(0.01)
    panel.stop_button.click()
    ex.runner.join(60)
    assert ex.run.status == "stopped" and 2 <= ex.run.round < 200

@pytest.mark.parametrize("fed", [dict(), dict(partition="dirichlet", n_sites=5, alpha=1.0),
                                 dict(source="synthetic", n_sites=3, site_size=200, case_mix=1.0, unit_drift=1)],
                         ids=["heart_disease", "heart_disease_dirichlet", "synthetic"])
def test_show_code_reproduces_history(fed):
    ex = Experiment(FederationState(**fed), TrainingState(rounds=4, strategy="fedprox", mu=0.05, seed=3), mode="sync", evaluate=False)
    ex.start()
    code = CodePanel(ex.federation, ex.training).show()
    assert "clf.fit(fed)" in code
    ns = {}
    exec(code, ns)
    pd.testing.assert_frame_equal(ns["clf"].history_.frame.reset_index(drop=True), ex.run.history.frame.reset_index(drop=True))

def test_show_code_for_csv_upload_names_the_file(tmp_path):
    df = pd.DataFrame(dict(age=range(40), sex=[0, 1] * 20, died=[0, 0, 1, 1] * 10, hospital=["a"] * 20 + ["b"] * 20))
    st = FederationState(source="csv", csv_name="cohort.csv", csv_bytes=df.to_csv(index=False).encode(), target="died", site_col="hospital")
    assert st.error == "" and st.federation.site_names == ["a", "b"]
    code = playground_code(st, TrainingState(rounds=2))
    assert "read_export('cohort.csv')" in code and "prepare(df, outcome='died', site_col='hospital')" in code  # read and prepared as the app did
    df.to_csv(tmp_path / "cohort.csv", index=False)
    import os
    cwd = os.getcwd(); os.chdir(tmp_path)
    try: exec(code, {})
    finally: os.chdir(cwd)

# ---- bad input becomes a message in the app, not a traceback ----
def test_csv_without_target_is_a_message():
    p = FederationPanel(preview=False)
    csv = b"age,sex,outcome,hospital\n50,1,0,a\n60,0,1,a\n"
    p.upload.set_trait("value", ({"name": "mine.csv", "type": "text/csv", "size": len(csv), "content": memoryview(csv),
                                 "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},))
    assert p.state.source == "csv" and p.state.federation is None
    assert "mine.csv has no column 'target'" in p.message.value and "outcome" in p.message.value
    assert list(p.target.options) == ["age", "sex", "outcome", "hospital"]
    ex = Experiment(p.state, mode="sync")
    rp = RunPanel(ex); rp.run_button.click()
    assert ex.run.status == "error" and "No federation to train" in rp.message.value

def test_site_too_small_is_a_message():
    df = pd.DataFrame(dict(age=[50, 60, 70, 80] * 5 + [55, 65, 75], died=[0, 1] * 11 + [0], hospital=["a"] * 20 + ["b"] * 3))
    st = FederationState(source="csv", csv_name="x.csv", csv_bytes=df.to_csv(index=False).encode(), target="died", site_col="hospital")
    assert st.federation is None and "'b' (3 rows, 1 positive)" in st.error and "small_sites=" in st.error, st.error
    p = FederationPanel(st, preview=False)
    assert "site(s) are small" in p.message.value
    p.prepare_panel.small_sites.value = "drop"  # the choice the message names, in the panel
    assert st.error == "" and st.federation.site_names == ["a"]

def test_settings_the_strategy_refuses_are_a_message():
    ex = Experiment(training=TrainingState(strategy="trimmed_mean", trim_beta=0.1, rounds=2), mode="sync")
    panel = RunPanel(ex)
    panel.run_button.click()
    assert ex.run.status == "error"
    assert "TrimmedMean" in ex.run.message and "site" in ex.run.message, ex.run.message
    assert "Traceback" not in panel.message.value and not panel.run_button.disabled

def test_heart_disease_more_sites_than_hospitals_is_a_message():
    st = FederationState(n_sites=6)
    assert st.federation is None and "Heart Disease has 4 hospitals" in st.error

def test_unexpected_error_is_a_message_not_a_traceback(monkeypatch):
    ex = Experiment(training=TrainingState(rounds=2), mode="sync", evaluate=False)
    import fhai_nb.estimator as E
    def boom(self, fed, **hooks): raise RuntimeError("disk on fire")
    monkeypatch.setattr(E.FederatedClassifier, "fit", boom)
    RunPanel(ex).run_button.click()
    assert ex.run.status == "error" and "RuntimeError: disk on fire" in ex.run.message

# ---- the pieces ----
def test_every_interactive_widget_has_a_stable_css_class():
    from fhai_nb.playground import Playground
    app = Playground(warm=False)
    seen, missing = 0, []
    def walk(w):
        nonlocal seen
        for k in getattr(w, "children", ()): walk(k)
        interactive = isinstance(w, (W.ValueWidget, W.Button, W.FileUpload)) and not isinstance(w, (W.HTML, W.Label)) \
                      or isinstance(w, PlotView)
        if isinstance(w, W.Accordion): interactive = True
        if interactive:
            seen += 1
            if not any(c.startswith("fhai-") for c in w._dom_classes): missing.append(type(w).__name__ + ":" + str(getattr(w, "description", "")))
    walk(app)
    assert seen > 30 and not missing, missing

def test_runner_rejects_a_second_start_and_bad_mode():
    with pytest.raises(FhaiError, match="mode must be"): BackgroundRunner("fast")
    ex = Experiment(training=TrainingState(rounds=100), mode="thread", evaluate=False)
    assert ex.start()
    assert ex.start() is False and "already in progress" in ex.run.message
    ex.stop(); ex.runner.join(60)

def test_shown_code_and_trained_estimator_come_from_one_config():
    "The estimator Run trains and the code Show code prints are both made from experiment_config: one description."
    from fhai_nb.estimator import FederatedClassifier
    ts = TrainingState(strategy="fedprox", mu=0.25, model="mlp", hidden=8, local_mode="steps", local_steps=7, optimizer="adam",
                       dropout=0.1, seed=4)
    cfg = experiment_config(FederationState(), ts)
    clf = FederatedClassifier.from_config(cfg)
    assert (clf.strategy.mu, clf.local_steps, clf.optimizer, clf.faults, clf.seed) == (0.25, 7, "adam", {"dropout": 0.1}, 4)
    code = playground_code(FederationState(), ts)
    assert code == cfg.to_python() and "strategy=FedProx(mu=0.25)," in code and "faults=Faults(dropout=0.1)," in code

# ---- a run records what it ran with, and Stop means stop ----
def test_session_row_keeps_the_settings_the_run_started_with():
    "Controls stay live during a run; changing one mid-run must not rewrite the row (or the comparison label) of the run in progress."
    ex = Experiment(training=TrainingState(rounds=4, lr=0.05), mode="sync")
    def user_changes_settings(c):
        if c["new"] == 2: ex.training.strategy, ex.training.lr, ex.federation.auto, ex.federation.partition = "fedprox", 0.5, False, "iid"
    ex.run.observe(user_changes_settings, names="round")
    assert ex.start()
    row = ex.session.table().loc[0]
    assert (row.strategy, row.lr, row.partition) == ("FedAvg", 0.05, "As recorded"), dict(row)
    assert "federated (FedAvg)" in set(ex.session.comparison.method)

def test_stop_skips_the_baselines_and_frees_the_runner():
    "After Stop the worker must not go on training the pooled and local-only baselines (Run would be refused meanwhile)."
    import fhai_nb.estimator as E
    fitted = []
    orig = E.PooledClassifier.fit
    def spy(self, fed, *a, **k):
        fitted.append("pooled")
        return orig(self, fed, *a, **k)
    ex = Experiment(training=TrainingState(rounds=20), mode="sync", evaluate=True)
    panel = RunPanel(ex)
    ex.run.observe(lambda c: c["new"] == 3 and panel.stop_button.click(), names="round")
    E.PooledClassifier.fit = spy
    try: panel.run_button.click()
    finally: E.PooledClassifier.fit = orig
    assert ex.run.status == "stopped" and not ex.runner.running
    assert fitted == [] and ex.session.comparison is None

def test_same_column_as_target_and_site_is_a_message():
    "Both comboboxes offer every column; picking one for both used to end in 'Something went wrong (KeyError ...)'."
    csv = b"age,sex,died,hospital\n50,1,0,a\n60,0,1,a\n55,1,1,b\n65,0,0,b\n"
    st = FederationState(source="csv", csv_name="x.csv", csv_bytes=csv, target="sex", site_col="sex")
    assert st.federation is None and "Something went wrong" not in st.error
    assert "'sex'" in st.error and "Site column" in st.error and "Target" in st.error, st.error

def test_semicolon_csv_is_read_with_its_separator():
    "A European export (semicolons, decimal commas) used to be read as one column; read_export detects its format."
    df = pd.DataFrame(dict(lactate=[1.5, 2.25] * 20, died=[0, 0, 1, 1] * 10, hospital=["a"] * 20 + ["b"] * 20))
    st = FederationState(source="csv", csv_name="x.csv", csv_bytes=df.to_csv(index=False, sep=";", decimal=",").encode(), target="died", site_col="hospital")
    assert st.error == "" and st.reading.options["sep"] == ";" and st.reading.options["decimal"] == ","
    assert st.federation.site_names == ["a", "b"] and st.csv_frame().lactate.tolist()[:2] == [1.5, 2.25]

def test_site_reliability_suppresses_small_bins():
    "A calibration bin holding 1-4 test patients would release their outcome (frac_pos) beside their risk: small cells are hidden."
    import numpy as np
    from fhai_nb.data import load_heart_disease
    from fhai_nb.estimator import FederatedClassifier
    from fhai_nb.widgets import site_reliability
    fed = load_heart_disease()
    rel = site_reliability(fed, FederatedClassifier(rounds=3).fit(fed))
    assert set(rel.site) == set(fed.site_names) and len(rel) == 40
    small = rel.n.between(1, 4)
    assert not small.any(), rel[small]
    hidden = rel.n.isna()
    assert hidden.any()  # the small Swiss test set (16 rows over 10 bins) must have some
    assert rel.loc[hidden, ["mean_p", "frac_pos"]].isna().all().all()
    shown = rel[rel.n >= 5]
    assert shown.frac_pos.between(0, 1).all() and np.isfinite(shown.mean_p).all()

def test_run_pressed_while_baselines_train_says_so(monkeypatch):
    "Training is done (Stop is disabled, Run enabled) but the comparison is still being computed: the refusal must not say 'press Stop'."
    import threading, time
    import fhai_nb.estimator as E
    release = threading.Event()
    orig = E.PooledClassifier.fit
    def slow(self, fed, *a, **k):
        release.wait(60)
        return orig(self, fed, *a, **k)
    monkeypatch.setattr(E.PooledClassifier, "fit", slow)
    ex = Experiment(training=TrainingState(rounds=2), mode="thread", evaluate=True)
    panel = RunPanel(ex)
    try:
        assert ex.start()
        t0 = time.time()
        # views redraw once a batch of state changes ends: wait for the panel, not only the state, to show 'done'
        while not (ex.run.status == "done" and panel.stop_button.disabled) and time.time() - t0 < 60: time.sleep(0.01)
        assert ex.run.status == "done" and panel.stop_button.disabled and not panel.run_button.disabled
        panel.run_button.click()
        assert "baselines" in ex.run.message and "Stop" not in ex.run.message, ex.run.message
        ex.stop()  # from code (the button is disabled): training is over, so nothing claims to be stopping
        assert "Stopping" not in ex.run.message and ex.run.status == "done"
    finally:
        release.set(); ex.runner.join(60)
    assert ex.session.comparison is not None and ex.run.message == ""  # the note goes once the comparison is in

def test_uploaded_csv_is_parsed_once_not_on_every_rebuild(monkeypatch):
    "Every control change rebuilds the federation; re-parsing the upload each time (twice: check, then build) made a big CSV sluggish."
    df = pd.DataFrame(dict(age=range(40), sex=[0, 1] * 20, died=[0, 0, 1, 1] * 10, hospital=["a"] * 20 + ["b"] * 20))
    calls = []
    real = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: calls.append(1) or real(*a, **k))
    st = FederationState(source="csv", csv_name="c.csv", csv_bytes=df.to_csv(index=False).encode(), target="died", site_col="hospital")
    assert st.error == "" and len(calls) == 1
    st.seed = 1; st.partition = "iid"; st.n_sites = 3
    assert st.error == "" and len(st.federation) == 3 and len(calls) == 1
    st.csv_bytes = df.assign(died=[1, 0] * 20).to_csv(index=False).encode()  # a new upload is read again
    assert len(calls) == 2 and st.error == ""
