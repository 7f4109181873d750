"""The message inspector: the summary of one round of the server's view, its state model, its panel, and its wiring through
Experiment (with a stand-in engine that reports the server's view, and with this installation's engine)."""
from types import SimpleNamespace
import numpy as np
import pandas as pd
import pytest
import torch
from fhai_nb.core import FhaiError, Update
from fhai_nb.vectorised import UpdateBatch
from fhai_nb.inspector import InspectorState, server_view_summary
from fhai_nb.widgets import Experiment, FederationState, TrainingState
from fhai_nb.panels import InspectorPanel
from fhai_nb.estimator import FederatedClassifier, _engine_accepts


def stand_in_view(rnd: int, sites, seed: int = 0, dropped=()):
    "One round of what the coordinator holds, in the shape run_federated's server_view receives (UpdateBatch inside)."
    g = torch.Generator().manual_seed(seed + rnd)
    S = len(sites)
    received = UpdateBatch(sites, np.arange(1, S + 1) * 10, {"weight": torch.randn(S, 1, 13, generator=g), "bias": torch.randn(S, 1, generator=g)},
                           metrics={"loss": np.linspace(0.5, 0.7, S)})
    clipped = UpdateBatch(sites, received.n_samples, {k: v.clamp(-0.5, 0.5) for k, v in received.stacked.items()})
    before = {"weight": torch.full((1, 13), 0.1), "bias": torch.zeros(1)}
    after = {k: before[k] + v.float() for k, v in clipped.weighted_mean().items()}
    return SimpleNamespace(round=rnd, received=received, aggregated=clipped, global_before=before, global_after=after,
                           selected=list(sites), dropped=list(dropped))


def test_summary_numbers():
    v = stand_in_view(1, ["a", "b", "c"], dropped=["d"])
    s = server_view_summary(v, n_values=5)
    flat = torch.cat([v.received.stacked["weight"].reshape(3, -1), v.received.stacked["bias"]], 1).double()
    rows = pd.DataFrame(s["received"])
    assert list(rows.site) == ["a", "b", "c"] and list(rows.n_samples) == [10, 20, 30]
    assert set(rows["values"]) == {14} and set(rows["bytes"]) == {56}
    np.testing.assert_allclose(rows.l2, flat.norm(dim=1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.array(rows.first_values.tolist()), flat[:, :5].numpy(), rtol=1e-12)
    np.testing.assert_allclose(rows.metric_loss, [0.5, 0.6, 0.7])
    agg = pd.DataFrame(s["aggregated"])
    assert (agg.l2 <= rows.l2 + 1e-12).all() and (agg.l2 < rows.l2).any()  # clipping at the coordinator shows
    assert s["received_total"] == dict(sites=3, bytes=168, mean_l2=pytest.approx(float(flat.norm(dim=1).mean())))
    assert s["dropped"] == ["d"] and s["global_before"] == pytest.approx(0.1 * 13 ** 0.5, rel=1e-6)
    step = torch.cat([(v.global_after["weight"] - v.global_before["weight"]).reshape(-1), v.global_after["bias"]]).double()
    assert s["global_step"] == pytest.approx(float(step.norm()), rel=1e-9)


def test_plain_sequence_of_updates_gives_the_same_rows():
    "An engine may hand a list of Update objects instead of an UpdateBatch: the summary must not depend on it."
    v = stand_in_view(2, ["a", "b"])
    ups = [Update(u.site, u.n_samples, u.params, u.metrics) for u in v.received]
    plain = SimpleNamespace(**{**vars(v), "received": ups, "aggregated": None})
    a, b = server_view_summary(v)["received"], server_view_summary(plain)["received"]
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert server_view_summary(plain)["aggregated"] == []


def test_state_keeps_rounds_and_caps_sites():
    st = InspectorState(keep=3)
    sites = [f"s{i:02d}" for i in range(60)]
    for r in range(1, 6): st.add(server_view_summary(stand_in_view(r, sites), max_sites=50))
    assert st.rounds == [3, 4, 5]
    assert len(st.sites()) == 50 and st.round_summary()["received_total"]["sites"] == 60  # totals cover every site
    assert list(st.table()["round"]) == [3, 4, 5] and (st.table().bytes == 60 * 56).all()
    with pytest.raises(FhaiError, match="no round 1 kept"): st.sites(1)
    with pytest.raises(FhaiError, match="stage must be"): st.sites(stage="sent")


def test_panel_follows_the_latest_round_unless_moved_back():
    p = InspectorPanel()
    for r in (1, 2): p.state.add(server_view_summary(stand_in_view(r, ["a", "b", "c"])))
    p.state.tick()
    assert (p.round.min, p.round.max, p.round.value) == (1, 2, 2) and "fhai-inspector" in p._dom_classes
    p.round.value = 1
    p.state.add(server_view_summary(stand_in_view(3, ["a", "b", "c"], dropped=["d"]))); p.state.tick()
    assert p.round.max == 3 and p.round.value == 1 and "Round 1" in p.message.value  # the user's choice stays
    p.round.value = 3
    assert "dropped: d" in p.message.value and p.table.value.count("<tr") == 4 and "Global model L2 norm" in p.after.value


@pytest.fixture
def engine_with_server_view(monkeypatch):
    "run_federated as the redesigned engine will have it: server_view(view) once per round, before the round's callbacks."
    import fhai_nb.engine as E
    real = E.run_federated
    def run_federated(fed, model="logreg", strategy="fedavg", rounds=20, *, server_view=None, callbacks=(), **kw):
        def each_round(ev):
            if server_view is not None: server_view(stand_in_view(ev.round, fed.site_names))
            for c in callbacks: c(ev)
        return real(fed, model, strategy, rounds, callbacks=[each_round], **kw)
    monkeypatch.setattr(E, "run_federated", run_federated)
    return run_federated


@pytest.mark.parametrize("mode", ["sync", "thread"])
def test_experiment_passes_server_view_when_the_engine_takes_it(engine_with_server_view, mode):
    ex = Experiment(FederationState(n_sites=3), TrainingState(rounds=3), mode=mode, evaluate=False)
    panel = InspectorPanel(ex.inspector)
    assert ex.start()
    ex.runner.join(60)
    assert ex.run.status == "done" and ex.inspector.available
    assert ex.inspector.rounds == [1, 2, 3]
    assert list(ex.inspector.sites().site) == ["cleveland", "hungary", "switzerland"]
    if mode == "sync": assert panel.table.value.count("<tr") == 4 and panel.round.value == 3


def test_fit_forwards_server_view(engine_with_server_view):
    from fhai_nb.data import load_heart_disease
    seen = []
    FederatedClassifier(rounds=2).fit(load_heart_disease(), server_view=lambda v: seen.append(v.round))
    assert seen == [1, 2]


def test_this_engine():
    "With the installed engine: the inspector fills when run_federated reports the server's view, and says so when it does not."
    ex = Experiment(FederationState(), TrainingState(rounds=2), mode="sync", evaluate=False)
    panel = InspectorPanel(ex.inspector)
    assert ex.start() and ex.run.status == "done"
    if _engine_accepts("server_view"):
        assert ex.inspector.available and ex.inspector.rounds == [1, 2]
        t = ex.inspector.sites()
        assert set(t.site) <= {"cleveland", "hungary", "switzerland", "va"} and len(t) >= 1
        assert (t["values"] == 14).all()  # a logistic regression on 13 features: 13 weights and a bias per update
        assert panel.table.value.count("<tr") == len(t) + 1
    else:
        assert not ex.inspector.available and ex.inspector.summaries == []
        assert "does not report" in panel.message.value
        from fhai_nb.data import load_heart_disease
        with pytest.raises(FhaiError, match="server_view"):
            FederatedClassifier(rounds=1).fit(load_heart_disease(), server_view=print)
