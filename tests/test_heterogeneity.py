"The non-IID score: 0 for IID, grows with skew, in [0, 1], computed from aggregates; report and figures."
import numpy as np
import pandas as pd
import pytest

from fhai_nb.core import Aggregate, Federation, FhaiError
from fhai_nb.heterogeneity import (non_iid_score, non_iid_from_aggregates, divergence_table, heterogeneity_report,
                                   collect_distributions, plot_site_sizes, plot_label_prevalence, plot_feature,
                                   plot_feature_summary, plot_heterogeneity, _fill_suppressed)
from fhai_nb.partition import partition
from fhai_nb.synthetic import generate_hospital_frame, synthetic_federation


@pytest.fixture(scope="module")
def pool():
    return generate_hospital_frame(1, seed=0, n_rows=3000).drop(columns="site")


def _label_aggs(counts):
    return [Aggregate(f"s{i}", "profile", int(sum(c)), dict(columns=(), cat_columns=(), label_counts=np.asarray(c, dtype=float), n_obs=np.zeros(0),
                                                          n_missing=np.zeros(0), mean=np.zeros(0), m2=np.zeros(0))) for i, c in enumerate(counts)]


def test_iid_scores_about_zero_and_debias_matters(pool):
    fed = partition(pool, "readmit_30d", 6, "iid", seed=1)
    s = non_iid_score(fed)
    raw = non_iid_score(fed, debias=False)
    assert 0 <= s < 0.005 and raw > s


def test_score_grows_with_dirichlet_skew(pool):
    s = [non_iid_score(partition(pool, "readmit_30d", 6, "dirichlet", alpha=a, seed=0), label_weight=1.0) for a in (100.0, 1.0, 0.3)]
    assert s[0] < 0.01 < s[1] < s[2] <= 1, s


def test_score_grows_with_case_mix_and_unit_drift():
    base = [non_iid_score(synthetic_federation(5, seed=2, n_rows=300, case_mix=c), label_weight=0.0) for c in (0.0, 0.6, 1.2)]
    assert base[0] < base[1] < base[2], base
    drift = non_iid_score(synthetic_federation(5, seed=2, n_rows=300, unit_drift={1: {"creatinine": "umol/L"}}), label_weight=0.0)
    assert drift > base[0] + 0.005


def test_score_is_zero_for_identical_sites_and_exact_for_disjoint():
    assert non_iid_from_aggregates(_label_aggs([[30, 70], [30, 70], [60, 140]])) == 0.0
    assert non_iid_from_aggregates(_label_aggs([[30, 70], [30, 70]]), debias=False) == 0.0
    # two sites with no class in common, each JS([1, 0], [1/2, 1/2]) = 1/2 (log2(4/3) + 1/2 log2(2/3) + 1/2) = 0.311 bits
    t = divergence_table(_label_aggs([[100, 0], [0, 100]]), debias=False)
    np.testing.assert_allclose(t.js, 0.5 * (np.log2(4 / 3) + 0.5 * np.log2(2 / 3) + 0.5), rtol=1e-12)
    assert 0 < non_iid_from_aggregates(_label_aggs([[100, 0], [0, 100]])) <= 1


def test_expected_sampling_divergence_matches_simulation():
    "The debiasing term is the mean JS of IID samples (checked by Monte Carlo over 2,000 simulated sites)."
    rng = np.random.default_rng(0)
    n = 120
    pos = rng.binomial(n, 0.3, 2000)
    t = divergence_table(_label_aggs(np.c_[n - pos, pos]), debias=False)
    assert abs(t.js_raw.mean() / t.expected.mean() - 1) < 0.1


def test_fill_suppressed_keeps_site_totals():
    C = np.array([[10.0, np.nan, np.nan, 30], [np.nan, np.nan, 5, 5], [1, 2, 3, 4]])
    F = _fill_suppressed(C, np.array([50.0, 20, 10]))
    np.testing.assert_allclose(F.sum(1), [50, 20, 10])
    assert (F >= 0).all()


def test_report_rows_and_total(pool):
    fed = partition(pool, "readmit_30d", 4, "dirichlet", alpha=0.5, seed=0)
    r = heterogeneity_report(fed)
    assert list(r.site) == fed.site_names
    assert {"n", "share", "prevalence", "label_js", "feature_js", "top_feature", "contribution"} <= set(r.columns)
    np.testing.assert_allclose(r.attrs["non_iid_score"], non_iid_score(fed), rtol=1e-12)
    np.testing.assert_allclose(r.share.sum(), 1.0)
    truth = pd.Series({s.name: s.local_frame().readmit_30d.mean() for s in fed})
    np.testing.assert_allclose(r.set_index("site").prevalence.dropna(), truth[r.set_index("site").prevalence.dropna().index], rtol=1e-12)


def test_figures_are_small_and_show_suppression():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(dict(h=np.repeat(["a", "b", "c"], [200, 200, 40]), x=rng.normal(size=440), c=rng.choice(["u", "v"], 440),
                           y=np.r_[rng.integers(0, 2, 400), [1] * 37, [0] * 3]))
    fed = Federation.from_frame(df, "h", "y", test_size=0.25)
    figs = [plot_site_sizes(fed), plot_label_prevalence(fed), plot_feature(fed, "x"), plot_feature(fed, "c"),
            plot_feature_summary(fed, "x"), plot_heterogeneity(fed)]
    for f in figs:
        assert len(f.to_json()) < 30_000 and f.layout.height <= 500
    prev = figs[1].data[0]
    assert "suppressed" in prev.text[2] and np.isnan(prev.y[2])  # site c has fewer than 5 negatives: its prevalence is not shown
    with pytest.raises(FhaiError, match="categorical"):
        plot_feature_summary(fed, "c")
    with pytest.raises(FhaiError, match="not features"):
        plot_feature(fed, "nope")


def test_many_sites_heatmap():
    fed = synthetic_federation(20, seed=0, n_rows=60)
    f = plot_feature(fed, "age", bins=8)
    assert f.data[0].type == "heatmap" and len(f.to_json()) < 30_000


def test_small_sites_refused_or_skipped(pool):
    from fhai_nb.core import DisclosureError
    pos, neg = pool[pool.readmit_30d == 1], pool[pool.readmit_30d == 0]
    df = pd.concat([pool.iloc[:400].assign(h="a"), pool.iloc[400:800].assign(h="b"), pd.concat([pos.iloc[-3:], neg.iloc[-3:]]).assign(h="c")])
    fed = Federation.from_frame(df, "h", "readmit_30d", test_size=0.2, seed=0)
    tiny = [s.name for s in fed if s.n_train < 5]
    assert tiny == ["c"]
    with pytest.raises(DisclosureError, match=f"site {tiny[0]!r} refuses"):
        heterogeneity_report(fed)
    r = heterogeneity_report(fed, skip_small=True)
    assert r.attrs["skipped_sites"] == tiny and r.set_index("site").loc[tiny, "label_js"].isna().all()
    assert 0 <= non_iid_score(fed, skip_small=True) <= 1


def test_proportional_filling_minimises_divergence():
    "Filling hidden cells in proportion to the pooled distribution gives the smallest JS of any allocation of the hidden mass."
    from fhai_nb.heterogeneity import _js_bits
    rng = np.random.default_rng(0)
    for _ in range(200):
        K = rng.integers(3, 8)
        q = rng.dirichlet(np.ones(K))
        row = rng.integers(0, 50, K).astype(float)
        hidden = rng.random(K) < 0.4
        if not hidden.any() or hidden.all(): continue
        mass = rng.integers(2, 20)
        filled = row.copy(); filled[hidden] = mass * q[hidden] / q[hidden].sum()
        other = row.copy(); other[hidden] = mass * rng.dirichlet(np.ones(hidden.sum()))
        js = lambda r: _js_bits((r / r.sum())[None], q)[0]
        assert js(filled) <= js(other) + 1e-12


def test_label_weight_outside_unit_interval_is_refused_everywhere(pool):
    "heterogeneity_report/heterogeneity_from_aggregates once accepted label_weight=2 and reported negative site scores."
    from fhai_nb.heterogeneity import heterogeneity_from_aggregates
    fed = partition(pool.iloc[:600], "readmit_30d", 3, "iid", seed=0)
    aggs = collect_distributions(fed, bins=5)
    for bad in (2.0, -0.5, True, "0.5"):
        with pytest.raises(FhaiError, match="label_weight must be a number in \\[0, 1\\]"):
            heterogeneity_report(fed, label_weight=bad)
        with pytest.raises(FhaiError, match="label_weight"):
            heterogeneity_from_aggregates(aggs, label_weight=bad)
        with pytest.raises(FhaiError, match="label_weight"):
            non_iid_score(fed, label_weight=bad)
    # the report's total and the score are one computation
    rep = heterogeneity_from_aggregates(aggs, 0.3)
    assert rep.attrs["non_iid_score"] == non_iid_from_aggregates(aggs, 0.3)
    assert (rep.site_score >= 0).all()
