"The five small-cell bypasses found in the audit, written as attacks: each must be refused or suppressed by the site's policy."
import numpy as np
import pandas as pd
import pytest

from fhai_nb.core import Federation, Site, DisclosureError, FhaiError
from fhai_nb.analytics import collect_profiles, federated_histogram, federated_describe, federated_missingness, profile_site


def _fed(df, test_size=0.0, **kw):
    return Federation.from_frame(df, "site", "y", test_size=test_size, **kw)


def _attack_or_refused(attack):
    "Run an attack; a DisclosureError means the site refused it (the attack failed)."
    try: return attack()
    except DisclosureError: return None


# ---- 1. binary features released as moments: mean x count gives a count of 2 ----
def test_binary_moments_do_not_give_a_small_count():
    df = pd.DataFrame(dict(site="a", smoker=[1, 1] + [0] * 38, age=np.arange(40.0), y=[0, 1] * 20))
    fed = _fed(df)
    def attack():
        a = collect_profiles(fed, ["smoker"], target=False)[0]
        j = list(a.values["columns"]).index("smoker")
        return a.values["mean"][j] * a.values["n_obs"][j]
    got = _attack_or_refused(attack)
    assert got is None or np.isnan(got), f"the count of smokers (2) was recovered: {got}"
    # a two-valued numeric column is the same attack
    fed2 = _fed(df.assign(smoker=df.smoker * 7.0 + 3.0), schema=None)
    got = _attack_or_refused(lambda: collect_profiles(fed2, ["smoker"], target=False)[0].values["mean"][0])
    assert got is None or np.isnan(got)
    # both levels at k or more: the mean is released, exactly
    ok = _fed(df.assign(smoker=[1] * 12 + [0] * 28))
    a = collect_profiles(ok, ["smoker"], target=False)[0]
    assert a.values["mean"][0] * a.values["n_obs"][0] == 12


# ---- 2. Federation.summary releases prevalence beside public row counts ----
def test_summary_prevalence_does_not_give_a_small_count():
    df = pd.DataFrame(dict(site=["a"] * 40 + ["b"] * 40, x=np.arange(80.0), y=[1, 1, 1] + [0] * 37 + [0, 1] * 20))
    fed = _fed(df)
    s = fed.summary().set_index("site")
    a = fed["a"]
    recovered = s.loc["a", "prevalence"] * (a.n_train + (a.n_test if "n_test" in s else 0))
    assert np.isnan(recovered), f"3 positives recovered from the prevalence: {recovered}"
    assert s.loc["b", "prevalence"] == 0.5


# ---- 3. split arithmetic: profile('all') - profile('train') = a 1-row test set ----
def test_split_difference_does_not_reveal_a_tiny_test_set():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(dict(age=rng.normal(50, 10, 30).round(), y=[0, 1] * 15))
    test = pd.DataFrame(dict(age=[87.0], y=[1]))
    site = Site("a", train, test)
    schema = Federation.from_frame(train.assign(site="a"), "site", "y", test_size=0.0).schema
    fed = Federation([site], schema)
    def attack():
        every = profile_site(fed["a"], ["age"], split="all")
        tr = profile_site(fed["a"], ["age"], split="train")
        n_all, n_tr = every.values["n_obs"][0], tr.values["n_obs"][0]
        return (every.values["mean"][0] * n_all - tr.values["mean"][0] * n_tr) / (n_all - n_tr)
    got = _attack_or_refused(attack)
    assert got is None or np.isnan(got), f"the test patient's age was recovered: {got}"
    with pytest.raises(DisclosureError, match=r"refuses 'profile' on split 'all' \(rule: split complement\): its test split holds 1 row"):
        profile_site(fed["a"], ["age"], split="all")
    assert profile_site(fed["a"], ["age"], split="train").values["n_obs"][0] == 30  # training is still described
    with pytest.raises(DisclosureError, match="fewer than the minimum of 5"):
        profile_site(fed["a"], ["age"], split="test")


def test_split_difference_of_cells_is_blocked_by_the_query_log():
    "Test set large enough, but only 2 of its rows have a value: all minus train would give their sum."
    rng = np.random.default_rng(1)
    train = pd.DataFrame(dict(x=rng.normal(size=40), y=[0, 1] * 20))
    test = pd.DataFrame(dict(x=[1.5, 2.5] + [np.nan] * 8, y=[0, 1] * 5))
    fed = Federation([Site("a", train, test)], Federation.from_frame(train.assign(site="a"), "site", "y", test_size=0.0).schema)
    def attack():
        tr = profile_site(fed["a"], ["x"], split="train")
        ev = profile_site(fed["a"], ["x"], split="all")
        return ev.values["mean"][0] * ev.values["n_obs"][0] - tr.values["mean"][0] * tr.values["n_obs"][0]
    got = _attack_or_refused(attack)
    assert got is None or np.isnan(got), f"the sum of two test values was recovered: {got}"


# ---- 4. overlapping histogram edges: [0, 60) = 11 and [0, 61) = 12 give one patient ----
def test_overlapping_histogram_edges_are_refused():
    ages = np.r_[np.linspace(20, 59, 11), [60.0], np.linspace(62, 90, 18)]
    fed = _fed(pd.DataFrame(dict(site="a", age=ages, y=[0, 1] * 15)))
    def attack():
        h1 = federated_histogram(fed, "age", bins=[0, 60, 100])
        h2 = federated_histogram(fed, "age", bins=[0, 61, 100])
        c1 = h1[(h1.site == "a") & (h1.left == 0)]["count"].iloc[0]
        c2 = h2[(h2.site == "a") & (h2.left == 0)]["count"].iloc[0]
        return c2 - c1
    got = _attack_or_refused(attack)
    assert got is None or np.isnan(got), f"one patient differenced out: {got}"
    with pytest.raises(DisclosureError, match=r"site 'a' refuses 'profile' \(rule: differencing\)"):
        federated_histogram(fed, "age", bins=[0, 61, 100])
    # the same bins again are answered; bins 5 or more rows apart are answered
    h = federated_histogram(fed, "age", bins=[0, 60, 100])
    assert h[(h.site == "a")]["count"].tolist() == [11.0, 19.0]
    assert federated_histogram(fed, "age", bins=[0, 70, 100])[lambda t: t.site == "a"]["count"].notna().all()


def test_histogram_edges_against_earlier_counts_and_moments():
    "Nested bins of another resolution, and a bin that differs from the released count of observed values."
    x = np.r_[np.arange(0.0, 20.0), [25.0, 26.0, 27.0]]
    fed = _fed(pd.DataFrame(dict(site="a", x=x, y=[0, 1] * 11 + [1])))
    federated_histogram(fed, "x", bins=[0, 10, 30])  # 10 and 13
    with pytest.raises(DisclosureError, match="rule: differencing"):
        federated_histogram(fed, "x", bins=[0, 10, 22, 30])  # [10, 22) = 10 next to [10, 30) = 13: the 3 above 22 come out
    collect_profiles(fed)  # 23 observed values
    h = federated_histogram(fed, "x", bins=[-1, 21, 30])  # [-1, 21) = 20 next to the 23 observed would give the 3 above 21
    assert h[h.site == "a"]["count"].isna().all()  # the 3 are a small cell, and the 20 is hidden with them


# ---- 5. missing-value counts of 1..k-1 ----
def test_small_missing_counts_are_not_released():
    x = np.r_[[np.nan, np.nan], np.arange(38.0)]
    c = np.array(["u", "v"] * 19 + [None, None], dtype=object)
    fed = _fed(pd.DataFrame(dict(site="a", x=x, c=c, y=[0, 1] * 20)))
    def attack():
        a = collect_profiles(fed, target=False)[0]
        return a.values["n_missing"][0], a.values["cat_missing"]["c"]
    got = _attack_or_refused(attack)
    assert got is None or (np.isnan(got[0]) and np.isnan(got[1])), f"missing counts released: {got}"
    mt = federated_missingness(fed)
    assert np.isnan(mt.loc["a", "x"]) and np.isnan(mt.loc["a", "c"])
    d = federated_describe(fed, by_site=True)
    assert np.isnan(d.loc[("a", "x"), "missing"]) and d.loc[("a", "x"), "suppressed"]
    # the category counts would give the missing count as the total minus the shown cells: they are hidden with it
    a = collect_profiles(fed, ["c"], target=False)[0]
    shown = np.nansum(a.values["cat_counts"]["c"])
    assert a.n - shown >= 5


def test_missing_counts_at_k_or_more_are_released():
    x = np.r_[[np.nan] * 6, np.arange(34.0)]
    fed = _fed(pd.DataFrame(dict(site="a", x=x, y=[0, 1] * 20)))
    assert federated_missingness(fed).loc["a", "x"] == 6 / 40


# ---- the policy belongs to the site ----
def test_caller_cannot_lower_k():
    from fhai_nb.disclosure import DisclosurePolicy
    df = pd.DataFrame(dict(site="a", x=np.arange(20.0), y=[0, 1] * 10))
    fed = _fed(df)
    with pytest.raises(DisclosureError, match="rule: policy floor"):
        collect_profiles(fed, min_rows=1)
    with pytest.raises(DisclosureError, match="rule: policy floor"):
        fed["a"].aggregate("n", lambda d: {"n": len(d)}, min_rows=2)
    with pytest.raises(DisclosureError, match="rule: policy floor"):
        federated_describe(fed, min_rows=3)
    assert collect_profiles(fed, min_rows=8)[0].values["k"] == 8  # asking for larger cells is fine
    assert collect_profiles(fed.with_policy(DisclosurePolicy(k=2)))[0].values["k"] == 2  # the site's own decision
    with pytest.raises(AttributeError):
        fed["a"].policy = DisclosurePolicy(k=1)


def test_policy_bad_input():
    from fhai_nb.disclosure import DisclosurePolicy
    for bad in (0, -3, 2.5, "5", None, True):
        with pytest.raises(FhaiError, match="k must be an integer >= 1"):
            DisclosurePolicy(k=bad)
    with pytest.raises(FhaiError, match="minmax must be one of"):
        DisclosurePolicy(minmax="noisy")
    assert DisclosurePolicy.from_dict(DisclosurePolicy(k=7, minmax="none").to_dict()) == DisclosurePolicy(k=7, minmax="none")
    with pytest.raises(FhaiError, match="needs|takes the dict"):
        DisclosurePolicy.from_dict([5])


def test_policy_model_rules():
    "The model rules are the site's: validated, serialised with the rest, and a query may only tighten them."
    import json
    from fhai_nb.disclosure import DisclosurePolicy
    p = DisclosurePolicy()
    assert p.model_rules() == dict(min_rows=10, max_param_fraction=0.33, min_cell=5, min_events=1, min_at_risk=5)
    assert DisclosurePolicy(k=8).model_rules()["min_cell"] == 8 and DisclosurePolicy(k=8).model_rules()["min_at_risk"] == 8
    q = DisclosurePolicy(k=7, max_param_fraction=1.0, min_at_risk=1, min_model_rows=20, min_events=3, min_cell=9)
    assert DisclosurePolicy.from_dict(json.loads(json.dumps(q.to_dict()))) == q
    assert q.model_rules(dict(min_rows=25, max_param_fraction=0.5, min_at_risk=None)) == dict(
        min_rows=25, max_param_fraction=0.5, min_cell=9, min_events=3, min_at_risk=1)
    for name, v in (("min_rows", 9), ("max_param_fraction", 0.5), ("min_cell", 4), ("min_events", 0), ("min_at_risk", 4)):
        with pytest.raises(DisclosureError, match=rf"site 'a' refuses {name}=.*\(rule: policy floor\)"):
            p.model_rules({name: v}, "a")
    with pytest.raises(FhaiError, match="no model rule 'min_row'"):
        p.model_rules(dict(min_row=20))
    with pytest.raises(FhaiError, match="max_param_fraction must be a number in"):
        p.model_rules(dict(max_param_fraction=True))
    for kw, msg in ((dict(max_param_fraction=0), "max_param_fraction must be a number in"), (dict(max_param_fraction="1"), "max_param_fraction"),
                    (dict(min_model_rows=0), "min_model_rows must be an integer >= 1"), (dict(min_at_risk=2.0), "min_at_risk must be an integer"),
                    (dict(min_cell=0), "min_cell must be an integer >= 1"), (dict(min_events=-1), "min_events must be an integer >= 0")):
        with pytest.raises(FhaiError, match=msg):
            DisclosurePolicy(**kw)
    with pytest.raises(FhaiError, match="fields are k, minmax, digits, audit, min_model_rows"):
        DisclosurePolicy.from_dict({"k": 5, "min_risk": 1})


def test_sites_with_different_policies_are_refused():
    from fhai_nb.disclosure import DisclosurePolicy
    df = pd.DataFrame(dict(site=["a"] * 20 + ["b"] * 20, x=np.arange(40.0), y=[0, 1] * 20))
    fed = _fed(df)
    with pytest.raises(DisclosureError, match=r"rule: one policy"):
        Federation([fed["a"], fed["b"].with_policy(DisclosurePolicy(k=10))], fed.schema)
    with pytest.raises(DisclosureError, match=r"rule: one policy"):
        Federation(fed.sites, fed.schema, policy=DisclosurePolicy(k=3))
    with pytest.raises(FhaiError, match="policy must be a DisclosurePolicy"):
        Federation(fed.sites, fed.schema, policy=5)
    strict = _fed(df, policy=DisclosurePolicy(k=10))
    assert strict.policy.k == 10 and all(s.policy.k == 10 for s in strict)


def test_histogram_edges_bad_input():
    fed = _fed(pd.DataFrame(dict(site="a", x=np.arange(20.0), y=[0, 1] * 10)))
    with pytest.raises(FhaiError, match="not sorted"):
        federated_histogram(fed, "x", bins=[0, 10, 5, 20])
    with pytest.raises(FhaiError, match=r"repeat \[10.0\]"):
        federated_histogram(fed, "x", bins=[0, 10, 10, 20])
    with pytest.raises(FhaiError, match="at least two finite numbers"):
        federated_histogram(fed, "x", bins=[0, np.nan, 20])
    with pytest.raises(FhaiError, match="not sorted"):
        collect_profiles(fed, ["x"], edges={"x": [5, 1]})


def test_minmax_released_as_the_policy_says():
    from fhai_nb.disclosure import DisclosurePolicy
    df = pd.DataFrame(dict(site="a", x=np.r_[np.arange(19.0), 12345.678], y=[0, 1] * 10))
    base = _fed(df)
    a = collect_profiles(base)[0].values
    assert a["max"][0] == 12350.0 and a["min"][0] == 0.0  # rounded outward to 4 significant digits
    a = collect_profiles(base.with_policy(DisclosurePolicy(minmax="exact")))[0].values
    assert a["max"][0] == 12345.678
    none = base.with_policy(DisclosurePolicy(minmax="none"))
    assert np.isnan(collect_profiles(none)[0].values["max"][0])
    with pytest.raises(DisclosureError, match="pass range"):
        federated_histogram(none, "x", bins=4)
    assert federated_histogram(none, "x", bins=4, range=(0, 20000)).shape[0] == 8


def test_refused_release_logs_nothing_and_repeats_are_answered():
    x = np.r_[np.arange(0.0, 20.0), [25.0, 26.0, 27.0]]
    fed = _fed(pd.DataFrame(dict(site="a", x=x, y=[0, 1] * 11 + [1])))
    h = federated_histogram(fed, "x", bins=[0, 10, 30])
    for _ in range(3): pd.testing.assert_frame_equal(federated_histogram(fed, "x", bins=[0, 10, 30]), h)
    with pytest.raises(DisclosureError): federated_histogram(fed, "x", bins=[0, 10, 22, 30])
    n = len(fed["a"]._log)
    with pytest.raises(DisclosureError): federated_histogram(fed, "x", bins=[0, 10, 22, 30])
    assert len(fed["a"]._log) == n


def test_query_log_follows_a_site_through_with_frames():
    "A site that sets 2 training rows aside (a validation carve-out) and is asked again: its log still sees those 2 rows."
    rng = np.random.default_rng(2)
    fed = _fed(pd.DataFrame(dict(site="a", x=rng.normal(size=30), y=[0, 1] * 15)))
    site = fed["a"]
    full = profile_site(site, ["x"])
    keep = np.arange(2, 30)
    sub = site.with_frames(site.local_frame().iloc[keep], site.local_frame("test"), rows=keep)
    m = profile_site(sub, ["x"]).values
    assert np.isnan(m["mean"][0]), "30 rows minus 28 rows: the 2 set aside would come out"
    assert full.values["n_obs"][0] == 30
    same = site.with_frames(site.local_frame().assign(x=site.local_frame().x * 2))  # same rows, transformed: same log
    assert same._log is site._log
    with pytest.raises(FhaiError, match="rows must give"):
        site.with_frames(site.local_frame().iloc[keep], rows=[0, 0] + list(range(2, 28)))
    with pytest.raises(FhaiError, match="rows must give"):
        site.with_frames(site.local_frame().iloc[keep], rows=list(range(5, 33)))


def test_hidden_cells_cannot_be_recovered_from_the_total():
    "Two hidden categories of 2 rows each: the public total minus the shown cell would give their sum, 4."
    df = pd.DataFrame(dict(site="a", c=["u"] * 30 + ["v"] * 2 + ["w"] * 2, y=[0, 1] * 17))
    fed = _fed(df)
    def attack():
        a = collect_profiles(fed, ["c"], target=False)[0]
        return a.n - np.nansum(a.values["cat_counts"]["c"]) - a.values["cat_missing"]["c"]
    got = _attack_or_refused(attack)
    assert got is None or np.isnan(got) or got >= 5, f"the hidden cells' sum was recovered: {got}"
    one = _fed(pd.DataFrame(dict(site="a", c=["u"] * 30 + ["v"] * 3 + ["w"] * 8, y=[0, 1] * 20 + [1])))
    a = collect_profiles(one, ["c"], target=False)[0]
    assert np.isnan(a.values["cat_counts"]["c"]).sum() == 2  # the 3, and the 8 with it: 41 - 30 = 11 hides both
