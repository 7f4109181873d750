"Metrics against scikit-learn and hand values, and the errors bad input gets."
import math
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings, strategies as st
from fhai_nb.core import FhaiError
from fhai_nb.metrics import (binary_metrics, auroc, auprc, ece, brier, log_loss, reliability_curve, site_metrics,
                             aggregate_sites, tidy_metrics, best_worst_gap, plot_reliability, METRICS)

labels_probs = st.integers(2, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0]) | st.floats(0, 1), min_size=n, max_size=n)))

@settings(max_examples=300, deadline=None)
@given(labels_probs)
def test_against_sklearn(yp):
    y, p = np.array(yp[0]), np.array(yp[1])
    m = binary_metrics(y, p)
    if 0 < y.sum() < len(y):
        assert m["auroc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
        assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p > 0.5), abs=1e-12)
    else:
        assert math.isnan(m["auroc"]) and math.isnan(m["balanced_accuracy"])
    if y.sum() > 0: assert m["auprc"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    else: assert math.isnan(m["auprc"])
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, p > 0.5))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p, labels=[0, 1]))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, p, labels=[0, 1]), rel=1e-9)
    assert 0 <= m["ece"] <= 1
    b = np.minimum((p * 10).astype(int), 9)  # ECE by its definition: bin-size-weighted gap of each non-empty bin
    gaps = [(b == k).sum() * abs(y[b == k].mean() - p[b == k].mean()) for k in range(10) if (b == k).any()]
    assert m["ece"] == pytest.approx(sum(gaps) / len(y), abs=1e-12)

def test_ece_hand_and_bins():
    # 10 bins: 0.05 -> bin 0 (y=0, gap .05), 0.95 and 1.0 -> bin 9 (mean .975, both positive: gap .025)
    assert ece([0, 1, 1], [0.05, 0.95, 1.0]) == pytest.approx((0.05 + 2 * 0.025) / 3)
    c = reliability_curve([0, 1, 1], [0.05, 0.95, 1.0])
    assert c.n.tolist() == [1] + [0] * 8 + [2] and c.n.sum() == 3
    # a bin edge belongs to the upper bin: 0.5 with 2 bins is in [0.5, 1]
    assert reliability_curve([1], [0.5], n_bins=2).n.tolist() == [0, 1]

def test_perfect_and_constant_models():
    y = np.array([0, 0, 1, 1])
    m = binary_metrics(y, y.astype(float))
    assert (m["auroc"], m["auprc"], m["accuracy"], m["brier"], m["ece"]) == (1.0, 1.0, 1.0, 0.0, 0.0)
    c = binary_metrics(y, np.full(4, 0.5))
    assert c["auroc"] == 0.5 and c["brier"] == 0.25 and c["balanced_accuracy"] == 0.5

def test_aggregates_weighted_mean_worst_gap():
    t = pd.DataFrame(dict(site=["a", "b", "c"], n=[10, 30, 60], auroc=[0.9, 0.7, np.nan], brier=[0.1, 0.2, 0.3]))
    a = aggregate_sites(t).set_index("site")
    assert a.loc["weighted", "auroc"] == pytest.approx((9 + 21) / 40)
    assert a.loc["mean", "auroc"] == pytest.approx(0.8)
    assert a.loc["worst", "auroc"] == 0.7 and a.loc["best", "auroc"] == 0.9
    assert a.loc["gap", "auroc"] == pytest.approx(0.2)
    assert a.loc["worst", "brier"] == 0.3 and a.loc["best", "brier"] == 0.1
    assert a.loc["weighted", "brier"] == pytest.approx((1 + 6 + 18) / 100)
    assert best_worst_gap(t, "brier") == pytest.approx(0.2)

def test_all_nan_metric_aggregates_to_nan():
    t = site_metrics({"a": ([1, 1], [0.6, 0.9]), "b": ([1], [0.2])})
    a = aggregate_sites(t).set_index("site")
    assert math.isnan(a.loc["weighted", "auroc"]) and a.loc["weighted", "accuracy"] == pytest.approx(2 / 3)

def test_tidy_shape():
    tm = tidy_metrics({"a": ([0, 1], [0.2, 0.9]), "b": ([0, 1, 1], [0.1, 0.4, 0.8])}, pooled=True)
    assert list(tm.columns) == ["site", "metric", "value"]
    assert set(tm.site) == {"a", "b", "pooled", "weighted", "mean", "worst"}
    assert set(tm.metric) == set(METRICS)

def test_plot():
    fig = plot_reliability({"a": ([0, 1, 1, 0], [0.2, 0.9, 0.7, 0.4])}, n_bins=5)
    assert fig.data[1].name == "a" and len(fig.data[1].x) == 4

@pytest.mark.parametrize("call,msg", [
    (lambda: binary_metrics([0, 1, 1], [0.2, 0.3]), "one probability per label"),
    (lambda: binary_metrics([0, 3], [0.2, 0.3]), "binarise"),
    (lambda: binary_metrics([0, np.nan], [0.2, 0.3]), "missing label"),
    (lambda: binary_metrics([0, 1], [-0.2, 0.3]), "sigmoid(logits)"),
    (lambda: binary_metrics([0, 1], [np.nan, 0.3]), "NaN"),
    (lambda: binary_metrics(["no", "yes"], [0.2, 0.3]), "map text labels"),
    (lambda: binary_metrics([0, 1], [0.2, 0.3], threshold=-1), "threshold"),
    (lambda: ece([0, 1], [0.2, 0.3], n_bins=0), "n_bins"),
    (lambda: site_metrics([([0, 1], [0.2, 0.3])]), "non-empty dict"),
    (lambda: site_metrics({"a": ([0, 1],)}), "pair"),
    (lambda: aggregate_sites(pd.DataFrame(dict(site=["a"], n=[1])), ["max"]), "unknown aggregate"),
    (lambda: best_worst_gap(pd.DataFrame(dict(site=["a"], n=[1])), "auc"), "unknown metric"),
    (lambda: best_worst_gap(pd.DataFrame(dict(site=["a"], n=[1])), "auroc"), "no 'auroc' values"),
    (lambda: plot_reliability(pd.DataFrame(dict(site=["a"]))), "lacks columns"),
])
def test_bad_input(call, msg):
    with pytest.raises(FhaiError, match=None) as e: call()
    assert msg in str(e.value)


# ---------------------------------------------------------------- one implementation, batched over sites
def test_stacked_metrics_is_binary_metrics_site_by_site():
    "Many sites at once give each site's own numbers (ties, one-class and empty sites included): one implementation."
    from fhai_nb.metrics import stacked_metrics, sigmoid, METRICS
    rng = np.random.default_rng(3)
    sizes = [0, 1, 7, 40, 13, 2]
    S, N = len(sizes), max(sizes)
    Y, P = np.zeros((S, N)), np.zeros((S, N))
    for i, k in enumerate(sizes):
        Y[i, :k] = rng.integers(0, 2, k); P[i, :k] = np.round(rng.random(k), 1)  # rounding makes ties
    Y[4, :13] = 0.0  # one class
    got = stacked_metrics(Y, P, sizes)
    for i, k in enumerate(sizes):
        ref = binary_metrics(Y[i, :k], P[i, :k]) if k else {m: float("nan") for m in METRICS}
        for m in METRICS:
            assert (np.isnan(ref[m]) and np.isnan(got[m][i])) or abs(ref[m] - got[m][i]) < 1e-12, (i, m)
    z = np.array([-50.0, -1.0, 0.0, 2.0, 50.0])
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)), atol=1e-15)


def test_aggregates_report_sites_covered():
    "Aggregates skip a site where a metric is undefined and say how many sites they cover."
    from fhai_nb.metrics import across_sites, site_metrics, aggregate_sites
    agg = across_sites({"auroc": np.array([0.8, np.nan, 0.6]), "loss": np.array([0.5, 0.7, 0.9])}, [10, 20, 30])
    assert agg["weighted"]["auroc"] == (pytest.approx((8 + 18) / 40), 2) and agg["worst"]["auroc"] == (0.6, 2)
    assert agg["weighted"]["loss"][1] == 3 and agg["worst"]["loss"] == (0.9, 3)
    assert across_sites({"auroc": np.array([np.nan])}, [5])["mean"]["auroc"][1] == 0
    t = site_metrics({"a": ([0, 1, 1], [0.2, 0.7, 0.9]), "b": ([1, 1], [0.4, 0.8])})
    cov = aggregate_sites(t, coverage=True).set_index("site")
    assert cov.loc["weighted", "n_sites_auroc"] == 1 and cov.loc["weighted", "n_sites_accuracy"] == 2
