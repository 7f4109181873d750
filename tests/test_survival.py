"""Federated survival: Kaplan-Meier (exact and binned), log-rank, Cox (Breslow, Efron, stratified, penalised) against
lifelines/statsmodels on pooled rows; site rules and bad input."""
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from fhai_nb.core import DisclosureError, Federation, FhaiError
from fhai_nb.disclosure import DisclosurePolicy
from fhai_nb.outcomes import add_outcomes, outcomes_federation
from fhai_nb.survival import (FederatedCoxPH, cox_newton_terms, federated_km, federated_logrank, km_table, plot_km,
                              survival_at, time_grid)
from fhai_nb.synthetic import generate_hospital_frame, synthetic_schema
from fhai_nb.tcga import load_tcga_brca

T, E = "time_to_readmission", "readmitted"
COV = ["age", "female", "heart_failure", "ckd", "copd", "diabetes"]


def _pooled(fed, split="train"):
    "Test reference only."
    return pd.concat([s.local_frame(split).assign(site=s.name) for s in fed], ignore_index=True)


def _close(a, b, tol):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


@pytest.fixture(scope="module")
def synth():
    return outcomes_federation(3, seed=7, n_rows=250)


@pytest.fixture(scope="module")
def tcga():
    return load_tcga_brca()


def _fed(df, **kw):
    return Federation.from_frame(df.astype({"site": str}), "site", "readmit_30d", schema=synthetic_schema(), test_size=0.0, **kw)


def test_km_exact_equals_lifelines_every_time_pooled_and_per_site(synth):
    km = federated_km(synth, T, E)
    d = _pooled(synth)
    ref = KaplanMeierFitter().fit(d[T], d[E])
    P = km[km.site == "pooled"]
    _close(survival_at(P, ref.timeline), ref.survival_function_.iloc[:, 0], 1e-12)
    _close(survival_at(P, ref.timeline, "ci_lower"), ref.confidence_interval_.iloc[:, 0], 1e-10)
    _close(survival_at(P, ref.timeline, "ci_upper"), ref.confidence_interval_.iloc[:, 1], 1e-10)
    for s in synth.site_names:
        r = KaplanMeierFitter().fit(d.loc[d.site == s, T], d.loc[d.site == s, E])
        _close(survival_at(km[km.site == s], r.timeline), r.survival_function_.iloc[:, 0], 1e-12)
    assert km.attrs["exact"] and "event times" in km.attrs["released"]


@pytest.mark.parametrize("width", [7.0, 30.0, 90.0])
def test_km_binned_band_holds_the_exact_curve(synth, width):
    kb = federated_km(synth, T, E, resolution=width, by_site=False)
    d = _pooled(synth)
    ref = KaplanMeierFitter().fit(d[T], d[E])
    S = ref.survival_function_.iloc[:, 0].to_numpy()
    assert (survival_at(kb, ref.timeline, "bound_lower") <= S + 1e-12).all()
    assert (S <= survival_at(kb, ref.timeline, "bound_upper") + 1e-12).all()
    assert ((kb.bound_lower <= kb.survival + 1e-12) & (kb.survival <= kb.bound_upper + 1e-12)).all()
    assert np.all(np.diff(kb.time) == width) and kb.attrs["released"] == "per-bin counts (no event time)"


def test_km_binned_counts_on_whole_days_give_the_exact_curve(tcga):
    "TCGA times are whole days: one-day bins hold events only at their start, so the released counts give the exact curve."
    kb = federated_km(tcga, "T", resolution=1.0, by_site=False)
    d = _pooled(tcga)
    ref = KaplanMeierFitter().fit(d["T"], d["E"])
    km_from_counts = kb.assign(survival=np.cumprod(1 - kb.events / kb.at_risk.where(kb.at_risk > 0, 1)))
    _close(survival_at(km_from_counts, ref.timeline), ref.survival_function_.iloc[:, 0], 1e-12)


def test_km_by_group_and_plot(synth):
    km = federated_km(synth, T, E, group="heart_failure")
    d = _pooled(synth)
    for lvl in (0.0, 1.0):
        sub = km[(km.site == "pooled") & (km.group == str(lvl))]
        m = d.heart_failure == lvl
        r = KaplanMeierFitter().fit(d.loc[m, T], d.loc[m, E])
        _close(survival_at(sub, r.timeline), r.survival_function_.iloc[:, 0], 1e-12)
    fig = plot_km(federated_km(synth, T, E, resolution=30.0), band="bound")
    assert any(tr.name == "pooled" for tr in fig.data)


def test_logrank_equals_lifelines(synth, tcga):
    d = _pooled(synth)
    r = federated_logrank(synth, T, E)
    _close(r.statistic, multivariate_logrank_test(d[T], d.site, d[E]).test_statistic, 1e-9)
    assert r.df == 2 and 0 <= r.p_value <= 1
    r2 = federated_logrank(synth, T, E, group="ckd")
    _close(r2.statistic, multivariate_logrank_test(d[T], d.ckd, d[E]).test_statistic, 1e-9)
    _close(r2.table.observed.sum(), r2.table.expected.sum(), 1e-9)
    p = _pooled(tcga)
    _close(federated_logrank(tcga, "T").statistic, multivariate_logrank_test(p["T"], p.site, p["E"]).test_statistic, 1e-9)


def test_cox_breslow_equals_statsmodels(synth):
    d = _pooled(synth)
    m = FederatedCoxPH(T, E, COV).fit(synth)
    ref = sm.PHReg(d[T], d[COV], status=d[E], ties="breslow").fit()
    _close(m.coef_, ref.params, 1e-6); _close(m.bse_, ref.bse, 1e-6); _close(m.log_likelihood_, ref.llf, 1e-6)
    s = FederatedCoxPH(T, E, COV, strata="site").fit(synth)
    rs = sm.PHReg(d[T], d[COV], status=d[E], ties="breslow", strata=d.site).fit()
    _close(s.coef_, rs.params, 1e-6); _close(s.bse_, rs.bse, 1e-6)
    assert list(m.table_.columns[-3:]) == ["hazard ratio", "hazard ratio [0.025", "hazard ratio 0.975]"]


def test_cox_efron_and_penalty_equal_lifelines(synth):
    d = _pooled(synth)
    for pen in (0.0, 0.05):
        m = FederatedCoxPH(T, E, COV, ties="efron", penalizer=pen).fit(synth)
        ref = CoxPHFitter(penalizer=pen).fit(d[COV + [T, E]], T, E)
        _close(m.coef_, ref.params_, 1e-4); _close(m.bse_, ref.standard_errors_, 1e-4)
    st = FederatedCoxPH(T, E, COV, ties="efron", strata="site", penalizer=0.05).fit(synth)
    rs = CoxPHFitter(penalizer=0.05).fit(d[COV + [T, E, "site"]], T, E, strata=["site"])
    _close(st.coef_, rs.params_, 1e-4)


def test_cox_binned_grid_equals_the_fit_on_binned_times(synth):
    d = _pooled(synth)
    m = FederatedCoxPH(T, E, COV, resolution=30.0).fit(synth)
    ref = sm.PHReg(np.floor(d[T] / 30.0) * 30.0, d[COV], status=d[E], ties="breslow").fit()
    _close(m.coef_, ref.params, 1e-6)


# FLamby's pooled baseline fits 39 covariates on centres of 40+ patients with one baseline hazard: the comparison needs the
# centres to adopt, as a governance decision recorded in their policy, one parameter per row and risk sets of any size.
TCGA_OPEN = DisclosurePolicy(max_param_fraction=1.0, min_at_risk=1)


def test_tcga_cox_equals_lifelines_pooled(tcga):
    d = _pooled(tcga)
    feats = list(tcga.schema.names)
    with pytest.raises(DisclosureError, match=r"max_param_fraction=1 \(rule: policy floor\)"):
        FederatedCoxPH("T", penalizer=0.1, ties="efron", max_param_fraction=1.0, min_at_risk=1).fit(tcga)  # not the caller's to loosen
    m = FederatedCoxPH("T", penalizer=0.1, ties="efron").fit(tcga.with_policy(TCGA_OPEN))
    ref = CoxPHFitter(penalizer=0.1).fit(d[feats + ["T", "E"]], "T", "E")
    _close(m.coef_, ref.params_, 1e-4); _close(m.bse_, ref.standard_errors_, 1e-4)


def test_tcga_cox_small_model_all_sites(tcga):
    "Five covariates pass every site's rules (Canada: 5 <= 0.33 x 40); Breslow equals statsmodels, Efron lifelines."
    cov = ["age_at_index", "ajcc_pathologic_stage_Stage IIIA", "ajcc_pathologic_stage_Stage IIIC", "ajcc_pathologic_n_N1a", "prior_malignancy_yes"]
    d = _pooled(tcga)
    small_risk_sets = tcga.with_policy(DisclosurePolicy(min_at_risk=1))  # the centres' decision: risk sets of any size on the grid
    m = FederatedCoxPH("T", covariates=cov, ties="efron").fit(small_risk_sets)
    ref = CoxPHFitter().fit(d[cov + ["T", "E"]], "T", "E")
    _close(m.coef_, ref.params_, 1e-4)
    b = FederatedCoxPH("T", covariates=cov).fit(small_risk_sets)
    _close(b.coef_, sm.PHReg(d["T"], d[cov], status=d["E"], ties="breslow").fit().params, 1e-6)


def test_rule_min_rows_km_and_cox(synth):
    with pytest.raises(DisclosureError, match=r"rule min_rows: site 'hospital_00'"):
        FederatedCoxPH(T, E, COV, min_rows=1000).fit(synth)
    df = _pooled(synth)
    small = pd.concat([df[df.site != "hospital_02"], df[df.site == "hospital_02"].head(8)])
    with pytest.raises(DisclosureError, match=r"rule min_rows: site 'hospital_02' has 8 complete survival row"):
        federated_km(_fed(small), T, E, split="all")
    with pytest.raises(DisclosureError, match=r"min_rows=5 \(rule: policy floor\).*DisclosurePolicy\(min_model_rows=\.\.\.\)"):
        federated_km(_fed(small), T, E, split="all", min_rows=5)
    km = federated_km(_fed(small, policy=DisclosurePolicy(min_model_rows=8)), T, E, split="all")  # the sites' own, smaller floor
    assert km[km.site == "hospital_02"].at_risk.max() == 8


def test_rule_max_param_fraction_cox(tcga):
    with pytest.raises(DisclosureError, match=r"rule max_param_fraction: the Cox model has 39 parameters, more than 0.33 x 40 rows at site 'canada'"):
        FederatedCoxPH("T", penalizer=0.1).fit(tcga)


def test_rule_min_at_risk(tcga, synth):
    "One baseline hazard: a site whose risk set at a grid time holds 1-4 patients refuses; stratified fits never release risk sets."
    cov = ["age_at_index", "ajcc_pathologic_stage_Stage IIIC"]
    with pytest.raises(DisclosureError, match=r"rule min_at_risk: at site 'northeast' the risk set falls to 3 patient\(s\).*strata='site'"):
        FederatedCoxPH("T", covariates=cov).fit(tcga)
    with pytest.raises(DisclosureError, match="rule min_at_risk"):
        FederatedCoxPH("T", covariates=cov, resolution=90.0).fit(tcga)  # bins hide times, not small risk sets
    FederatedCoxPH("T", covariates=cov, strata="site").fit(tcga)
    FederatedCoxPH(T, E, COV).fit(synth)  # one-year administrative censoring keeps every risk set large


def test_rule_min_events_and_no_event_site(synth):
    df = _pooled(synth, "all")
    df.loc[df.site == "hospital_01", E] = 0
    fed = _fed(df)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        km = federated_km(fed, T, E, split="all")
    assert any("site 'hospital_01' has no events" in str(x.message) for x in w)
    assert (km[km.site == "hospital_01"].survival == 1).all()
    with pytest.raises(DisclosureError, match=r"rule min_events: site 'hospital_01' has 0 event\(s\).*sites=\[\.\.\.\]"):
        FederatedCoxPH(T, E, COV, split="all").fit(fed)
    ok = FederatedCoxPH(T, E, COV, split="all", sites=["hospital_00", "hospital_02"]).fit(fed)
    assert ok.sites_ == ["hospital_00", "hospital_02"]
    with pytest.raises(DisclosureError, match="rule min_events"):
        FederatedCoxPH(T, E, COV, split="all", sites=["hospital_00"], min_events=10_000).fit(fed)
    with pytest.raises(DisclosureError, match=r"min_events=0 \(rule: policy floor\)"):
        FederatedCoxPH(T, E, COV, split="all", min_events=0).fit(fed)
    with pytest.raises(DisclosureError, match="rule min_at_risk"):  # an explicit min_at_risk above k is the site's rule too
        FederatedCoxPH(T, E, COV, split="all", sites=["hospital_00"]).fit(fed.with_policy(DisclosurePolicy(min_at_risk=10_000)))


def test_rule_event_times(synth):
    "A site whose policy releases no exact event time answers binned grids and stratified Cox fits only."
    closed = synth.with_policy(DisclosurePolicy(event_times=False))
    with pytest.raises(DisclosureError, match=r"site 'hospital_00' refuses the exact event-time grid \(rule: event_times\).*resolution="):
        federated_km(closed, T, E)
    with pytest.raises(DisclosureError, match=r"rule: event_times.*strata='site'"):
        FederatedCoxPH(T, E, COV).fit(closed)
    _close(federated_km(closed, T, E, resolution=30.0).survival, federated_km(synth, T, E, resolution=30.0).survival, 0)
    _close(FederatedCoxPH(T, E, COV, strata="site").fit(closed).coef_, FederatedCoxPH(T, E, COV, strata="site").fit(synth).coef_, 0)
    _close(FederatedCoxPH(T, E, COV, resolution=30.0).fit(closed).coef_, FederatedCoxPH(T, E, COV, resolution=30.0).fit(synth).coef_, 0)


def test_bad_input(synth):
    df = _pooled(synth, "all")
    neg = df.copy(); neg.loc[neg.index[3], T] = -1.0
    with pytest.raises(FhaiError, match=r"site 'hospital_00': 1 negative time\(s\) in 'time_to_readmission'"):
        federated_km(_fed(neg), T, E, split="all")
    with pytest.raises(FhaiError, match="negative time"):
        FederatedCoxPH(T, E, COV, split="all").fit(_fed(neg))
    bad_e = df.assign(readmitted=df[E] * 2)
    with pytest.raises(FhaiError, match="must be 0 \\(censored\\) or 1"):
        federated_km(_fed(bad_e), T, E, split="all")
    with pytest.raises(FhaiError, match="no column 'days'"):
        federated_km(synth, "days", E)
    with pytest.raises(FhaiError, match="constant across all sites"):
        FederatedCoxPH(T, E, ["age", "one"], split="all").fit(_fed(df.assign(one=1.0)))
    with pytest.raises(FhaiError, match="collinear"):
        FederatedCoxPH(T, E, ["age", "age2"], split="all").fit(_fed(df.assign(age2=df.age * 2)))
    with pytest.raises(FhaiError, match="resolution must be a positive"):
        federated_km(synth, T, E, resolution=-5)
    with pytest.raises(FhaiError, match="strata must be"):
        FederatedCoxPH(T, strata="hospital")
    with pytest.raises(FhaiError, match="no site"):
        federated_km(synth, T, E, sites=["mars"])


def test_coordinator_functions_refuse_rows(synth):
    with pytest.raises(FhaiError, match="coordinator-side"):
        km_table(_pooled(synth))
    with pytest.raises(FhaiError, match="coordinator-side"):
        cox_newton_terms(_pooled(synth), [0.0])
