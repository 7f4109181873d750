"Property-based tests of the partitioners (hypothesis)."
import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st, HealthCheck
from fhai_nb.core import FhaiError
from fhai_nb.partition import assign_sites, partition, SCHEMES

def _frame(n, prev, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"row_id": np.arange(n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
                         "y": (rng.uniform(size=n) < prev).astype(int)})

SET = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

@SET
@given(n=st.integers(20, 400), prev=st.floats(0.1, 0.9), n_sites=st.integers(1, 12), scheme=st.sampled_from(SCHEMES),
       alpha=st.floats(0.05, 100), strength=st.floats(0, 1), seed=st.integers(0, 2**31 - 1))
def test_every_row_in_exactly_one_site(n, prev, n_sites, scheme, alpha, strength, seed):
    df = _frame(n, prev, seed)
    try:
        fed = partition(df, "y", n_sites, scheme, alpha=alpha, strength=strength, seed=seed, exclude=["row_id"])
    except FhaiError as e:  # a refusal must say why
        assert any(w in str(e) for w in ("cannot give", "rarer class", "kept producing")), str(e)
        return
    ids = np.concatenate([s.local_frame("all").row_id.to_numpy() for s in fed])
    assert len(ids) == n and np.array_equal(np.sort(ids), np.arange(n))  # each row once, none lost
    assert len(fed) == n_sites
    for s in fed:
        d = s.local_frame("all")
        assert len(d) >= 4 and d.y.nunique() == 2  # no empty or one-class site
        pd.testing.assert_frame_equal(d.sort_values("row_id").reset_index(drop=True)[["row_id", "x1", "x2", "y"]],
                                      df.set_index("row_id").loc[np.sort(d.row_id)].reset_index()[["row_id", "x1", "x2", "y"]])

@SET
@given(n=st.integers(10, 300), n_sites=st.integers(1, 10), scheme=st.sampled_from(SCHEMES), seed=st.integers(0, 10**6))
def test_assignment_is_deterministic_and_in_range(n, n_sites, scheme, seed):
    df = _frame(n, 0.4, seed)
    try: a = assign_sites(df, "y", n_sites, scheme, seed=seed, min_site_rows=1, min_per_class=0, exclude=["row_id"])
    except FhaiError as e:
        assert "cannot give" in str(e) or "kept producing" in str(e); return
    b = assign_sites(df, "y", n_sites, scheme, seed=seed, min_site_rows=1, min_per_class=0, exclude=["row_id"])
    assert a.shape == (n,) and np.array_equal(a, b)
    assert a.min() >= 0 and a.max() < n_sites and len(np.unique(a)) == n_sites

def _label_tv(a, y, k):
    p = y.mean()
    return np.mean([abs(y[a == j].mean() - p) for j in range(k)])

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), prev=st.floats(0.2, 0.8), n_sites=st.integers(3, 10))
def test_dirichlet_skew_grows_as_alpha_falls(seed, prev, n_sites):
    df = _frame(3000, prev, seed)
    y = df.y.to_numpy()
    tv = {}
    for alpha in (100.0, 1.0, 0.1):
        tv[alpha] = np.mean([_label_tv(assign_sites(df, "y", n_sites, "dirichlet", alpha, seed=seed + r,
                                                    min_site_rows=1, min_per_class=0, exclude=["row_id"]), y, n_sites)
                             for r in range(10)])
    assert tv[100.0] < tv[1.0] < tv[0.1]

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(2, 8))
def test_covariate_strength_orders_sites(seed, n_sites):
    df = _frame(2000, 0.5, seed)
    a1 = assign_sites(df, "y", n_sites, "covariate", feature="x1", strength=1.0, seed=seed, exclude=["row_id"])
    means = [df.x1[a1 == k].mean() for k in range(n_sites)]
    assert all(df.x1[a1 == k].max() <= df.x1[a1 == k + 1].min() for k in range(n_sites - 1)) and means == sorted(means)
    a0 = assign_sites(df, "y", n_sites, "covariate", feature="x1", strength=0.0, seed=seed, exclude=["row_id"])
    spread = lambda a: np.ptp([df.x1[a == k].mean() for k in range(n_sites)])
    assert spread(a0) < spread(assign_sites(df, "y", n_sites, "covariate", feature="x1", strength=0.5, seed=seed, exclude=["row_id"])) < spread(a1)

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(3, 8))
def test_quantity_skew_grows_as_alpha_falls(seed, n_sites):
    df = _frame(2000, 0.5, seed)
    cv = lambda alpha: np.mean([np.bincount(assign_sites(df, "y", n_sites, "quantity", alpha, seed=seed + r, exclude=["row_id"]),
                                            minlength=n_sites).std() for r in range(20)])
    assert cv(100.0) < cv(1.0) < cv(0.1)

# --- reading exports: whatever the format, the values come back exactly --------------------------------------
from fhai_nb.data import read_export

FORMATS = st.fixed_dictionaries(dict(sep=st.sampled_from([",", ";", "\t", "|"]), decimal=st.sampled_from([".", ","]),
                                     encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
                                     line=st.sampled_from(["\n", "\r\n", "\r"])))

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=FORMATS, n=st.integers(2, 40), seed=st.integers(0, 10**6), missing=st.floats(0, 0.3))
def test_export_format_roundtrip_is_exact(fmt, n, seed, missing):
    "Any separator, decimal mark, encoding (with or without BOM) and line ends: detected, and every value read back exactly."
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"id": np.arange(n), "x": rng.normal(50, 20, n), "small": rng.normal(0, 1e-3, n), "k": rng.integers(-5, 5, n),
                       "ward": rng.choice(["Médecine", "Réa", "ICU"], n), "y": rng.integers(0, 2, n)})
    df.loc[rng.uniform(size=n) < missing, "x"] = np.nan
    data = df.to_csv(index=False, sep=fmt["sep"], decimal=fmt["decimal"], lineterminator=fmt["line"]).encode(fmt["encoding"])
    r = read_export(data, name="f.csv")
    assert r.ok, r.messages()
    assert r.options["sep"] == fmt["sep"] and r.options["decimal"] == fmt["decimal"]
    pd.testing.assert_frame_equal(r.frame, df, check_dtype=False, check_exact=True)

@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 60), seed=st.integers(0, 10**6), k=st.integers(1, 5))
def test_text_cells_in_numbers_are_all_reported_with_their_lines(n, seed, k):
    "k text cells put anywhere in a numeric column: refused, and the finding lists exactly their lines."
    rng = np.random.default_rng(seed)
    x = rng.normal(10, 3, n).round(2).astype(object)
    bad = np.sort(rng.choice(n, min(k, n // 2), replace=False))
    x[bad] = "pending"
    data = pd.DataFrame({"x": x, "y": rng.integers(0, 2, n)}).to_csv(index=False).encode()
    r = read_export(data, name="f.csv")
    assert not r.ok and r.frame is None
    assert r.errors.lines.tolist() == [list(bad + 2)] and r.errors.column.tolist() == ["x"]

# --- preparation: every row accounted for, no outcome invented ---------------------------------------------------
from fhai_nb.prepare import prepare

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(150, 400), p_missing=st.floats(0, 0.3), p_nosite=st.floats(0, 0.2),
       n_sites=st.integers(2, 6), rule=st.sampled_from(["merge", "drop"]))
def test_prepare_accounts_for_every_row(seed, n, p_missing, p_nosite, n_sites, rule):
    "Rows in the federation + rows reported removed == rows given; positives in == 'died' rows kept; unknowns never become 0."
    rng = np.random.default_rng(seed)
    status = rng.choice(["died", "alive", "unknown"], n, p=[0.3, 0.65, 0.05]).astype(object)
    status[rng.uniform(size=n) < p_missing] = None
    site = rng.choice([f"h{i}" for i in range(n_sites)], n, p=np.r_[[0.5], np.full(n_sites - 1, 0.5 / (n_sites - 1))]).astype(object)
    site[rng.uniform(size=n) < p_nosite] = None
    df = pd.DataFrame({"site": site, "status": status, "x": rng.normal(size=n), "mrn": rng.permutation(n)})
    try:
        p = prepare(df, outcome="status", positive="died", negative="alive", outcome_missing="unknown", small_sites=rule)
    except Exception as e:  # only the documented refusal: every site too small even together
        assert "still small" in str(e), str(e); return
    fed_rows = sum(s.n_train + s.n_test for s in p.federation_)
    assert fed_rows == p.rows_.rows_after.iloc[-1] == n - p.rows_.removed.sum()
    kept = df[df.status.isin(["died", "alive"]) & df.site.notna()]
    dropped_small = p.sites_[p.sites_.group.isna()].site.tolist()
    kept = kept[~kept.site.isin(dropped_small)]
    assert fed_rows == len(kept)
    assert sum(int(s.local_frame("all").status.sum()) for s in p.federation_) == int((kept.status == "died").sum())
    assert p.features_ == ["x"] and p.columns_.set_index("column").loc["mrn", "reason"] == "identifier"
