"Federated analytics equal pooled ones; the small-cell rule refuses what it must; preprocessing matches pooled fits."
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from fhai_nb.core import Federation, Site, Schema, Aggregate, FhaiError, DisclosureError
from fhai_nb.disclosure import DisclosurePolicy
from fhai_nb.analytics import (collect_profiles, pool_moments, federated_describe, federated_histogram, federated_value_counts,
                               federated_missingness, FederatedPreprocessor, suppress_cells)


K1 = DisclosurePolicy(k=1)  # sites that publish every cell: the exactness tests compare with every pooled row


def _fed(frames, target="y", **kw):
    "A federation with one site per frame, all rows in train (so the pooled reference is easy)."
    df = pd.concat([f.assign(site=f"s{i}") for i, f in enumerate(frames)], ignore_index=True)
    return Federation.from_frame(df, "site", target, test_size=0.0, **kw), df


@st.composite
def site_frames(draw):
    "Random numeric frames split into 2..6 sites of random sizes, with values across several magnitudes."
    n_sites = draw(st.integers(2, 6))
    sizes = draw(st.lists(st.integers(5, 40), min_size=n_sites, max_size=n_sites))
    seed = draw(st.integers(0, 2**31 - 1))
    loc = draw(st.floats(-1e4, 1e4)); scale = draw(st.floats(1e-3, 1e3))
    rng = np.random.default_rng(seed)
    frames = []
    for n in sizes:
        y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
        shift = rng.normal(0, scale)
        frames.append(pd.DataFrame(dict(x=rng.normal(loc + shift, scale, n), z=rng.exponential(1.0, n) * scale, b=rng.integers(0, 2, n), y=y)))
    return frames


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_frames(), st.integers(0, 1))
def test_federated_moments_equal_pooled(frames, ddof):
    fed, df = _fed(frames, policy=K1)
    m = pool_moments(collect_profiles(fed), ddof=ddof)
    for c in ["x", "z", "b"]:
        np.testing.assert_allclose(m.loc[c, "mean"], df[c].mean(), rtol=1e-9, atol=1e-9 * (1 + abs(df[c]).max()))
        np.testing.assert_allclose(m.loc[c, "var"], df[c].var(ddof=ddof), rtol=1e-8, atol=1e-12 * (1 + df[c].abs().max()) ** 2)
        assert m.loc[c, "count"] == len(df)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_frames())
def test_federated_standardisation_equals_pooled(frames):
    fed, df = _fed(frames, policy=K1)
    pre = FederatedPreprocessor().fit(fed)
    Z = pd.concat([pre.transform(s.local_frame(), site=s.name) for s in fed])
    X = df[["x", "z", "b"]]
    ref = (X - X.mean()) / X.std(ddof=0)
    np.testing.assert_allclose(Z[["x", "z", "b"]].to_numpy(), ref.to_numpy(), rtol=1e-7, atol=1e-7)
    # sklearn's StandardScaler on the pooled rows is the same reference
    from sklearn.preprocessing import StandardScaler
    np.testing.assert_allclose(Z[["x", "z", "b"]].to_numpy(), StandardScaler().fit_transform(X), rtol=1e-7, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(6, 30), min_size=2, max_size=5), st.floats(0.0, 0.5), st.integers(0, 10_000))
def test_federated_imputation_and_missingness_equal_pooled(sizes, p_missing, seed):
    rng = np.random.default_rng(seed)
    frames = []
    for n in sizes:
        x = rng.normal(50, 10, n)
        x[rng.random(n) < p_missing] = np.nan
        x[0] = 1.0  # at least one observed value per site
        frames.append(pd.DataFrame(dict(x=x, y=np.r_[0, 1, rng.integers(0, 2, n - 2)])))
    fed, df = _fed(frames, policy=K1)
    pre = FederatedPreprocessor(scale=None, add_indicator=True).fit(fed)
    np.testing.assert_allclose(pre.statistics().loc["x", "fill"], df.x.mean(), rtol=1e-10)
    mt = federated_missingness(fed)
    np.testing.assert_allclose(mt.loc["pooled", "x"], df.x.isna().mean(), rtol=1e-12, atol=1e-12)
    Z = pd.concat([pre.transform(s.local_frame(), site=s.name) for s in fed])
    assert not Z.isna().any().any()
    if df.x.isna().any(): assert Z.x_missing.sum() == df.x.isna().sum()


def test_numerically_stable_for_large_offsets():
    "Chan's pooling keeps full precision where the naive sum-of-squares formula loses it."
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame(dict(x=1e9 + rng.normal(0, 1, 50), y=[0, 1] * 25)) for _ in range(4)]
    fed, df = _fed(frames)
    m = pool_moments(collect_profiles(fed))
    np.testing.assert_allclose(m.loc["x", "var"], df.x.var(ddof=0), rtol=1e-6)


def test_query_over_fewer_than_k_rows_is_refused():
    rng = np.random.default_rng(1)
    frames = [pd.DataFrame(dict(x=rng.normal(size=n), y=np.r_[0, 1, rng.integers(0, 2, n - 2)])) for n in (20, 8)]
    fed, _ = _fed(frames)
    with pytest.raises(DisclosureError, match=r"site 's1' refuses 'profile': it would summarise 8 row\(s\), fewer than the minimum of 10"):
        federated_describe(fed, min_rows=10)
    with pytest.raises(DisclosureError, match="fewer than the minimum of 10"):
        FederatedPreprocessor(min_rows=10).fit(fed)
    # k is configurable: with k = 5 the same query is answered
    assert federated_describe(fed).loc["x", "count"] == 28


def test_column_with_fewer_than_k_values_is_suppressed_not_leaked():
    x = np.r_[np.arange(20.0), [1.0, 2.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan]]
    df = pd.DataFrame(dict(site=["a"] * 20 + ["b"] * 8, x=x, y=[0, 1] * 14))
    fed = Federation.from_frame(df, "site", "y", test_size=0.0)
    by = federated_describe(fed, by_site=True)
    assert np.isnan(by.loc[("b", "x"), "mean"]) and by.loc[("b", "x"), "suppressed"]
    assert np.isnan(by.loc[("b", "x"), "count"]) and np.isnan(by.loc[("b", "x"), "missing"])  # count would reveal 2 values
    pooled = federated_describe(fed)
    assert pooled.loc["x", "count"] == 20  # pooled over the sites that may release
    assert pooled.loc["x", "missing"] == 8  # b's 6 missing and 2 withheld values: not in any pooled statistic
    assert federated_missingness(fed).loc["pooled", "x"] == 8 / 28


def test_small_cells_shown_as_suppressed():
    c = suppress_cells([0, 1, 30, 40])
    assert c[0] == 0 and np.isnan(c[1]) and np.isnan(c[2]) and c[3] == 40  # 1 hidden, and 30 hidden so 1 cannot be recovered
    df = pd.DataFrame(dict(site=["a"] * 30 + ["b"] * 30, cat=["u"] * 27 + ["v"] * 3 + ["u"] * 15 + ["v"] * 15, y=[0, 1] * 30))
    fed = Federation.from_frame(df, "site", "y", test_size=0.0)
    t = federated_value_counts(fed, "cat")
    a = t[t.site == "a"].set_index("value")
    assert a.suppressed.all() and a["count"].isna().all() and set(a.shown) == {"<5"}
    assert "3" not in set(t.shown)
    b = t[t.site == "b"].set_index("value")
    assert b.loc["v", "count"] == 15


def test_histogram_shared_bins_sum_to_pooled():
    rng = np.random.default_rng(3)
    frames = [pd.DataFrame(dict(x=rng.normal(m, 5, 200), y=[0, 1] * 100)) for m in (40, 50, 60)]
    fed, df = _fed(frames)
    h = federated_histogram(fed, "x", bins=6)
    p = h[h.site == "pooled"]
    edges = np.r_[p.left.to_numpy(), p.right.iloc[-1]]
    ref = np.histogram(np.clip(df.x, edges[0], edges[-1]), edges)[0]
    ok = ~p.suppressed.to_numpy()
    np.testing.assert_array_equal(p["count"].to_numpy()[ok], ref[ok])
    assert edges[0] <= df.x.min() and edges[-1] >= df.x.max()


def test_coordinator_functions_reject_rows():
    fed, df = _fed([pd.DataFrame(dict(x=np.arange(10.0), y=[0, 1] * 5))] * 2)
    with pytest.raises(FhaiError, match="takes a list of Aggregate objects"):
        pool_moments(df)
    with pytest.raises(FhaiError, match="only Aggregate objects"):
        pool_moments([df])


def test_bad_inputs_named():
    fed, df = _fed([pd.DataFrame(dict(x=np.arange(10.0), c=list("abababcbab"), y=[0, 1] * 5))] * 2)
    with pytest.raises(FhaiError, match=r"\['bmi'\] are not features"):
        federated_describe(fed, ["bmi"])
    with pytest.raises(FhaiError, match="categorical"):
        federated_histogram(fed, "c")
    with pytest.raises(FhaiError, match="min_rows must be an integer >= 1"):
        federated_describe(fed, min_rows=0)
    with pytest.raises(FhaiError, match="bins must be a positive integer"):
        federated_histogram(fed, "x", bins=0)
    with pytest.raises(FhaiError, match="range must be"):
        federated_histogram(fed, "x", range="quantiles")
    with pytest.raises(FhaiError, match="high > low"):
        federated_histogram(fed, "x", range=(3, 1))
    with pytest.raises(FhaiError, match="scale must be"):
        FederatedPreprocessor(scale="robust")
    with pytest.raises(FhaiError, match="drop must be 'first' or None"):
        FederatedPreprocessor(drop="last")
    with pytest.raises(FhaiError, match="impute must be 'mean' or None"):
        FederatedPreprocessor(impute="median")
    pre = FederatedPreprocessor(scale="site").fit(fed)
    with pytest.raises(FhaiError, match=r"lacks column\(s\) \['c'\]"):
        pre.transform(df.drop(columns="c"), site="s0")
    with pytest.raises(FhaiError, match=r"column\(s\) \['x'\] hold text"):
        pre.transform(df.assign(x="high"), site="s0")


def test_transform_is_vectorised_and_stable():
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame(dict(x=rng.normal(size=50), c=rng.choice(["a", "b", "c"], 50), y=[0, 1] * 25)) for _ in range(3)]
    fed, df = _fed(frames)
    pre = FederatedPreprocessor(drop="first").fit(fed)
    out = pre.transform(df.iloc[:7], site="s1")
    assert list(out.columns) == pre.feature_names_out_ == ["x", "c_b", "c_c"]
    assert (out.dtypes == np.float64).all() and out.index.equals(df.index[:7])
    arr = pre.transform_array(df, dtype=np.float32)
    assert arr.dtype == np.float32 and arr.shape == (150, 3)


def test_fit_scales_to_many_sites():
    "2,000 sites fit in one vectorised pooling step; the result equals the pooled statistics."
    rng = np.random.default_rng(0)
    n_sites, n = 2000, 6
    x = rng.normal(10, 3, n_sites * n)
    df = pd.DataFrame(dict(site=np.repeat([f"h{i}" for i in range(n_sites)], n), x=x, y=np.tile([0, 1, 0, 1, 1, 0], n_sites)))
    sites = [Site(str(name), g.drop(columns="site")) for name, g in df.groupby("site", sort=False)]
    fed = Federation(sites, Schema.infer(df, "y", exclude=["site"]), check=False)
    pre = FederatedPreprocessor().fit(fed)
    np.testing.assert_allclose(pre.statistics().loc["x", ["center", "scale"]].to_numpy(float), [x.mean(), x.std()], rtol=1e-10)


# ---- harmonisation report ----
from fhai_nb.analytics import harmonisation_report, convert_units, recode_categories, apply_unit_fixes


def test_harmonisation_finds_synthetic_unit_drift_and_fix_removes_it():
    from fhai_nb.synthetic import synthetic_federation
    drift = {3: {"creatinine": "umol/L"}, 5: {"temperature": "degF"}, 6: {"glucose": "mmol/L"}, 1: {"haemoglobin": "g/L"}}
    fed = synthetic_federation(8, seed=4, case_mix=0.5, unit_drift=drift)
    rep = harmonisation_report(fed)
    units = rep[rep.check == "unit"]
    want = {(f"hospital_{i:02d}", c) for i, d in drift.items() for c in d}
    assert set(zip(units.site, units.column)) == want
    assert (units.severity == "error").all()
    fixed = apply_unit_fixes(fed, rep)
    assert not (harmonisation_report(fixed).check == "unit").any()
    d = federated_describe(fixed, ["creatinine"], by_site=True)["mean"]
    assert 0.5 < d.loc[("hospital_03", "creatinine")] / d.drop(("hospital_03", "creatinine")).median() < 2


@pytest.mark.parametrize("seed", range(5))
def test_harmonisation_no_false_unit_findings_under_case_mix(seed):
    from fhai_nb.synthetic import synthetic_federation
    fed = synthetic_federation(8, seed=seed, case_mix=1.0, size_skew=1.0, mcar=0.2)
    assert not (harmonisation_report(fed).check == "unit").any()


def test_harmonisation_type_and_vocabulary_mismatch():
    rng = np.random.default_rng(0)
    def frame(n, sex, text=False):
        x = rng.normal(5, 1, n)
        return pd.DataFrame(dict(x=[f"{v:.2f}" for v in x] if text else x, sex=rng.choice(sex, n), y=np.r_[0, 1, rng.integers(0, 2, n - 2)]))
    sites = [Site("a", frame(40, ["m", "f"])), Site("b", frame(40, ["m", "f"])), Site("c", frame(40, ["M", "F"])), Site("d", frame(40, ["m", "f"], text=True))]
    schema = Schema.infer(pd.concat([s.local_frame() for s in sites[:3]]), "y")
    fed = Federation(sites, schema, check=False)  # a federation whose site d was never checked
    rep = harmonisation_report(fed)
    t = rep[rep.check == "type"]
    assert list(zip(t.site, t.column)) == [("d", "x")] and "stored as text" in t.what.iloc[0]
    v = rep[(rep.check == "vocabulary") & (rep.column == "sex")]
    assert len(v) == 2 and all("c" in s for s in v.site)
    fixed = recode_categories(fed, "c", "sex", {"M": "m", "F": "f"})
    assert not ((harmonisation_report(fixed).check == "vocabulary")).any()


def test_harmonisation_small_and_refusing_sites():
    rng = np.random.default_rng(1)
    df = pd.concat([pd.DataFrame(dict(h=h, x=rng.normal(size=n), y=np.r_[0, 1, rng.integers(0, 2, n - 2)])) for h, n in (("a", 200), ("b", 220), ("c", 6))])
    fed = Federation.from_frame(df, "h", "y", test_size=0.2)
    rep = harmonisation_report(fed)
    r = rep[rep.site == "c"]
    assert (r.check == "small site").any() and (r.severity == "error").any()  # c's 4 training rows refuse to answer


def test_convert_units_bad_input():
    from fhai_nb.synthetic import synthetic_federation
    fed = synthetic_federation(3, seed=0, n_rows=50)
    with pytest.raises(FhaiError, match="factor must be a finite non-zero number"):
        convert_units(fed, "hospital_00", "creatinine", 0.0)
    with pytest.raises(FhaiError, match="needs a categorical feature"):
        recode_categories(fed, "hospital_00", "creatinine", {1: 2})


def test_flamby_per_center_normalisation_matches_torch():
    "FLamby's protocol: each centre z-scores train and test with its own training mean and torch's unbiased std + 1e-9."
    torch = pytest.importorskip("torch")
    from fhai_nb.data import load_heart_disease
    # FLamby z-scores inside each centre; here each centre releases its statistics to the preprocessor, and some one-hot
    # columns have 1..4 ones at a centre (a mean x count that the default policy withholds): the centres publish every cell
    fed = load_heart_disease("flamby").with_policy(DisclosurePolicy(k=1))
    pre = FederatedPreprocessor(impute=None, scale="site", one_hot=False, ddof=1, eps=1e-9).fit(fed)
    names = fed.schema.names
    assert pre.feature_names_out_ == names and len(names) == 13
    for s in fed:
        tr = torch.tensor(s.local_frame("train")[names].to_numpy(), dtype=torch.float64)
        mean, std = tr.mean(0), tr.std(0)  # torch.std is unbiased by default
        for split in ("train", "test"):
            X = torch.tensor(s.local_frame(split)[names].to_numpy(), dtype=torch.float64)
            ref = ((X - mean) / (std + 1e-9)).numpy()
            ref[:, (std == 0).numpy()] = 0.0  # zero-variance columns (Switzerland's chol) become 0
            got = pre.transform(s.local_frame(split), site=s.name).to_numpy()
            np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    assert np.all(pre.transform(fed["switzerland"].local_frame("test"), site="switzerland")["chol"] == 0)


def test_categorical_dtype_and_object_columns_encode_alike():
    rng = np.random.default_rng(2)
    cats = ["low", "mid", "high"]
    frames = [pd.DataFrame(dict(x=rng.normal(size=40), c=pd.Categorical(rng.choice(cats, 40), categories=cats), y=[0, 1] * 20)) for _ in range(3)]
    fed, df = _fed(frames)
    pre = FederatedPreprocessor(add_indicator=True).fit(fed)
    probe = pd.DataFrame(dict(x=[0.0, np.nan, 1.0, 2.0], c=["mid", None, "high", "unseen"]))
    as_cat = probe.assign(c=pd.Categorical(probe.c, categories=["high", "unseen", "mid"]))  # other category order, an extra one
    a, b = pre.transform(probe), pre.transform(as_cat)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[3, [f"c_{v}" for v in ["high", "low", "mid"]]].sum() == 0  # unseen category: all zeros
    assert a.loc[1, "x"] == 0 and "x_missing" not in a.columns  # imputed with the federated mean (0 after scaling); no indicator:
    # x had no missing training values, so the fitted output columns stay as fitted


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(8, 30), min_size=2, max_size=5), st.integers(0, 10_000))
def test_one_hot_union_vocabulary_equals_pooled_dummies(sizes, seed):
    "One-hot with the union vocabulary equals pd.get_dummies on the pooled rows, including categories only one site uses."
    rng = np.random.default_rng(seed)
    frames = []
    for i, n in enumerate(sizes):
        cats = ["a", "b", "c"] + ([f"only_{i}"] if i % 2 == 0 else [])
        frames.append(pd.DataFrame(dict(x=rng.normal(size=n), c=rng.choice(cats, n), y=np.r_[0, 1, rng.integers(0, 2, n - 2)])))
    fed, df = _fed(frames, policy=K1)
    pre = FederatedPreprocessor(scale=None).fit(fed)
    Z = pd.concat([pre.transform(s.local_frame(), site=s.name) for s in fed])
    ref = pd.get_dummies(df.c, prefix="c", dtype=float)
    assert pre.feature_names_out_ == ["x", *ref.columns]
    np.testing.assert_array_equal(Z[ref.columns].to_numpy(), ref.to_numpy())


def test_preprocessor_skip_small_sites():
    rng = np.random.default_rng(5)
    frames = [pd.DataFrame(dict(x=rng.normal(3, 2, n), y=np.r_[0, 1, rng.integers(0, 2, n - 2)])) for n in (60, 50, 4)]
    fed, df = _fed(frames)
    with pytest.raises(DisclosureError, match=r"site\(s\) \{'s2': \d+\} hold fewer than the minimum of 5.*skip_small=True"):
        FederatedPreprocessor(scale="site").fit(fed)
    pre = FederatedPreprocessor(scale="site", skip_small=True).fit(fed)
    assert pre.skipped_sites_ == ["s2"]
    big = pd.concat(frames[:2])
    z = pre.transform(frames[2], site="s2").x.to_numpy()
    np.testing.assert_allclose(z, (frames[2].x - big.x.mean()) / big.x.std(ddof=0), rtol=1e-10)


def test_constant_column_becomes_zero_despite_rounding():
    "0.1 is not exact in binary: site means of a constant 0.1 column differ from 0.1 by rounding; the output is still 0."
    frames = [pd.DataFrame(dict(x=np.full(n, 0.1), z=np.arange(n, dtype=float), y=[0, 1] * (n // 2))) for n in (30, 46, 12)]
    fed, df = _fed(frames)
    for scale in ("federated", "site"):
        pre = FederatedPreprocessor(scale=scale, ddof=1, eps=1e-9).fit(fed)
        for s in fed:
            assert np.all(pre.transform(s.local_frame(), site=s.name).x == 0.0)


def test_preprocessor_json_round_trip():
    import json
    rng = np.random.default_rng(9)
    frames = [pd.DataFrame(dict(x=np.where(rng.random(40) < 0.2, np.nan, rng.normal(size=40)),
                                c=pd.Categorical(rng.choice([1.0, 2.0, 3.0], 40), categories=[1.0, 2.0, 3.0]), y=[0, 1] * 20)) for _ in range(3)]
    df = pd.concat([f.assign(site=f"s{i}") for i, f in enumerate(frames)], ignore_index=True)
    fed = Federation.from_frame(df, "site", "y", test_size=0.0)  # numeric codes as a categorical feature (like Heart Disease's cp)
    for kw in (dict(add_indicator=True, drop="first"), dict(scale="site", ddof=1, eps=1e-9)):
        pre = FederatedPreprocessor(**kw).fit(fed)
        back = FederatedPreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
        assert back.get_params() == pre.get_params() and back.feature_names_out_ == pre.feature_names_out_
        for s in fed:
            np.testing.assert_array_equal(back.transform_array(s.local_frame(), s.name), pre.transform_array(s.local_frame(), s.name))
    with pytest.raises(FhaiError, match="needs the dict"):
        FederatedPreprocessor.from_dict({"nope": 1})


def _chol_federation(zero_site: bool):
    "Four hospitals' cholesterol in mg/dL; 'C' reports mmol/L; 'D' (optionally) records 0 for every patient (a missing code)."
    from fhai_nb.core import Federation
    rng = np.random.default_rng(7)
    frames = []
    for s in "ABCD":
        chol = rng.normal(200, 40, 80)
        if s == "C": chol = chol / 38.67
        if s == "D" and zero_site: chol = np.zeros(80)
        frames.append(pd.DataFrame(dict(site=s, age=rng.normal(60, 10, 80), chol=chol, y=rng.integers(0, 2, 80))))
    return Federation.from_frame(pd.concat(frames, ignore_index=True), target="y", site_col="site", test_size=0.25, seed=0)


def test_unit_check_finds_exactly_the_converted_site_beside_an_all_zero_site():
    from fhai_nb.harmonisation import harmonisation_report, apply_unit_fixes
    for zero in (False, True):
        fed = _chol_federation(zero)
        rep = harmonisation_report(fed)
        unit = rep[rep.check == "unit"]
        assert list(unit.site) == ["C"] and list(unit.column) == ["chol"], unit
        assert unit.factor.iloc[0] == pytest.approx(38.67, rel=1e-3)
        code = rep[rep.check == "missing code"]
        assert list(code.site) == (["D"] if zero else []) and (not zero or "a missing code?" in code.what.iloc[0])
        fixed = apply_unit_fixes(fed, rep)
        after = harmonisation_report(fixed)
        assert (after.check == "unit").sum() == 0
        tr = lambda f, s: f[s].local_frame("train").chol.mean()
        assert tr(fixed, "C") == pytest.approx(tr(fed, "C") * 38.67, rel=1e-3) and tr(fixed, "A") == tr(fed, "A")


def test_apply_unit_fixes_refuses_contradictory_fixes():
    from fhai_nb.harmonisation import harmonisation_report, apply_unit_fixes
    fed = _chol_federation(False)
    rep = harmonisation_report(fed)
    row = rep[rep.check == "unit"].iloc[[0]]
    two = pd.concat([rep, row.assign(site="A")], ignore_index=True)  # 2 of 4 sites flagged: no majority shares a unit
    with pytest.raises(FhaiError, match="no majority shares one unit"): apply_unit_fixes(fed, two)
    dup = pd.concat([rep, row.assign(factor=10.0)], ignore_index=True)
    with pytest.raises(FhaiError, match="several unit fixes for 'chol' at \\['C'\\]"): apply_unit_fixes(fed, dup)
