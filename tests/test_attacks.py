"Attack tests: exact reconstruction and its failure under batching/DP/secure aggregation, attack metrics, LiRA, server-view monitors."
import math
from types import SimpleNamespace
import numpy as np
import pytest
import torch

from fhai_nb.attacks import (MembershipMonitor, ReconstructionMonitor, attack_metrics, confidence, lira_scores, loss_scores,
                             membership_experiment, plot_roc, reconstruct_batch, reconstruct_from_update, reconstruct_linear,
                             reconstruction_error, synthetic_hospitals, tpr_at_fpr)
from fhai_nb.core import FhaiError
from fhai_nb.dp import DPFedAvg
from fhai_nb.engine import TransformContext
from fhai_nb.learners import MLP, LogisticRegression, bce_loss, get_params
from fhai_nb.secagg import SecureAggregation
from fhai_nb.vectorised import UpdateBatch


def _update(spec, X, y, steps=3, lr=0.2, seed=0):
    m = spec.init(X.shape[1], seed=seed)
    start = get_params(m)
    opt = torch.optim.SGD(m.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad(); bce_loss(m(X), y).backward(); opt.step()
    return {k: (v.detach() - start[k]).double() for k, v in m.named_parameters()}


@pytest.mark.parametrize("spec,w", [(LogisticRegression(), "weight"), (MLP((8, 4), "tanh"), "0.weight")])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_single_record_update_is_inverted_exactly(spec, w, label):
    x = torch.randn(1, 9, generator=torch.Generator().manual_seed(3))
    d = _update(spec, x, torch.tensor([label]))
    assert reconstruction_error(reconstruct_from_update(d, w), x[0]) < 1e-5
    assert reconstruction_error(reconstruct_from_update(d), x[0]) < 1e-5  # first linear weight found by name


def test_batching_dp_and_masking_stop_reconstruction():
    g = torch.Generator().manual_seed(0)
    S = 5
    X1, X16 = torch.randn(S, 1, 7, generator=g), torch.randn(S, 16, 7, generator=g)
    y1, y16 = torch.ones(S, 1), (torch.rand(S, 16, generator=g) < 0.5).float()
    def batch(X, y):
        ds = [_update(LogisticRegression(), X[s], y[s]) for s in range(S)]
        return UpdateBatch([f"s{s}" for s in range(S)], [X.shape[1]] * S, {k: torch.stack([u[k] for u in ds]) for k in ds[0]})
    def best(rec, X): return [min(reconstruction_error(rec[s], X[s, j]) for j in range(X.shape[1])) for s in range(S)]
    single, many = batch(X1, y1), batch(X16, y16)
    assert max(best(reconstruct_batch(single.stacked), X1)) < 1e-5
    assert min(best(reconstruct_batch(many.stacked), X16)) > 0.2
    ctx = TransformContext(1, [], 0, 0, site_indices=np.arange(S), n_sites=S)
    noisy = DPFedAvg(1.0, 0.05, noise="distributed").site_batch(single, ctx)
    assert min(best(reconstruct_batch(noisy.stacked), X1)) > 0.3
    masked = SecureAggregation(threshold=3).site_batch(single, ctx)
    with pytest.raises(FhaiError, match="masked"): reconstruct_from_update(masked[0].params)


def test_reconstruction_bad_input():
    with pytest.raises(FhaiError, match="differ"): reconstruct_linear(np.ones((2, 3)), np.ones(3))
    with pytest.raises(FhaiError, match="did not change"): reconstruct_linear(np.ones((1, 3)), np.zeros(1))
    with pytest.raises(FhaiError, match="no bias"): reconstruct_from_update({"weight": torch.ones(1, 3)})


def test_metrics_chance_perfect_and_tpr_at_fpr():
    rs = np.random.default_rng(1)
    m = np.r_[np.ones(2000, bool), np.zeros(2000, bool)]
    t = attack_metrics(rs.normal(size=4000), m)
    # AUROC of random scores: sd = sqrt((n1+n0+1)/(12 n1 n0)) ~ 0.0065; 5 sd from 0.5 fails by chance ~ 6e-7
    assert abs(t.auroc[0] - 0.5) < 5 * math.sqrt(4001 / (12 * 2000 * 2000))
    s = np.r_[np.arange(2000) + 1000.0, np.arange(2000.0)]  # 1000 of 2000 members above every non-member
    assert tpr_at_fpr(s, m, 0.0) == 0.5 and tpr_at_fpr(s + m * 1000.0, m, 0.0) == 1.0
    s2 = np.r_[np.zeros(2000), np.arange(2000.0)]  # members all tie at the bottom
    assert tpr_at_fpr(s2, m, 0.01) == 0.0
    with pytest.raises(FhaiError, match="differ in length"): attack_metrics([1.0], [True, False])


def test_lira_and_loss_scores_formulas():
    z, y = np.array([2.0, -1.0]), np.array([1.0, 1.0])
    np.testing.assert_allclose(confidence(z, y), np.log(1 / (1 + np.exp(-z)) / (1 - 1 / (1 + np.exp(-z)))))
    np.testing.assert_allclose(loss_scores(z, y), -np.log1p(np.exp(-z)))
    sh = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]])
    got = lira_scores(z, y, sh, fixed_variance=False)
    np.testing.assert_allclose(got, [(2 - 1) / 1.0, (-1 - 2) / 2.0])


def test_membership_leaks_without_dp_and_less_with_dp():
    Xs, ys = synthetic_hospitals(n_sites=3, rows=150, d=30, seed=2)
    kw = dict(n_members=40, n_shadows=6, epochs=40, lr=0.5, seed=1)
    a, sc = membership_experiment(Xs, ys, **kw)
    b, _ = membership_experiment(Xs, ys, epsilon=0.5, **kw)
    assert set(a.site) == {"site_0", "site_1", "site_2", "all"} and set(a.attack) == {"loss threshold", "LiRA (offline)"}
    pa, pb = a[a.site == "all"].auroc.to_numpy(), b[b.site == "all"].auroc.to_numpy()
    assert (pa > 0.6).all() and (pb < pa - 0.08).all()
    assert plot_roc({"x": sc["loss threshold"]}).layout.xaxis.type == "log"
    with pytest.raises(FhaiError, match="needs 3 x n_members"): membership_experiment(Xs, ys, n_members=60)


def test_monitors_on_a_stand_in_view():
    x = torch.randn(3, 1, 5, generator=torch.Generator().manual_seed(5))
    ds = [_update(LogisticRegression(), x[s], torch.ones(1)) for s in range(3)]
    ub = UpdateBatch(["a", "b", "c"], [1, 1, 1], {k: torch.stack([u[k] for u in ds]) for k in ds[0]})
    g0 = {k: torch.zeros(v.shape[1:], dtype=torch.float64) for k, v in ub.stacked.items()}
    view = SimpleNamespace(round=1, received=ub, aggregated=ub.weighted_mean(), global_before=g0, global_after=g0, selected=["a", "b", "c"], dropped=[])
    mon = ReconstructionMonitor(truth={s: x[i].numpy() for i, s in enumerate("abc")})
    mon(view)
    assert (mon.frame.error < 1e-5).all()
    masked = SecureAggregation(threshold=2).site_batch(ub, TransformContext(2, [], 0, 0, site_indices=np.arange(3), n_sites=3))
    mon(SimpleNamespace(**{**vars(view), "round": 2, "received": masked}))
    assert not mon.frame[mon.frame["round"] == 2].reconstructed.any()
    module = LogisticRegression().init(5, seed=0)
    cand = {"a": (np.vstack([x[0].numpy(), np.zeros((3, 5))]), np.ones(4), np.array([True, False, False, False]))}
    mm = MembershipMonitor(module, cand, target="global")
    mm(view)
    assert list(mm.frame.columns[:3]) == ["round", "site", "attack"] and len(mm.frame) == 1
    with pytest.raises(FhaiError, match="target must be"): MembershipMonitor(module, cand, target="x")
