"""Federated GLMs: equality with statsmodels' pooled fit, each site disclosure rule, bad input, noise accounting."""
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from fhai_nb.core import DisclosureError, Federation, FhaiError
from fhai_nb.data import load_heart_disease
from fhai_nb.disclosure import DisclosurePolicy
from fhai_nb.glm import AggregateNoise, FederatedGLM, coefficient_table, glm_newton_step, plot_forest
from fhai_nb.outcomes import add_outcomes, outcomes_federation
from fhai_nb.synthetic import generate_hospital_frame, synthetic_schema


def _pooled(fed, split="train"):
    "Test reference only: a real federation cannot pool its rows."
    return pd.concat([s.local_frame(split) for s in fed], ignore_index=True)


def _close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol)


@pytest.fixture(scope="module")
def hd():
    return load_heart_disease()


@pytest.fixture(scope="module")
def synth():
    return outcomes_federation(4, seed=1, n_rows=300)


def _frame_fed(df, site_col="site", target="readmit_30d", **kw):
    return Federation.from_frame(df, site_col, target, schema=synthetic_schema(), **kw)


def test_logistic_equals_statsmodels_on_synthetic(synth):
    cov = ["age", "female", "heart_failure", "ckd", "copd", "diabetes", "creatinine"]
    m = FederatedGLM("binomial", covariates=cov).fit(synth)
    d = _pooled(synth)
    ref = sm.GLM(d.readmit_30d, sm.add_constant(d[cov]), family=sm.families.Binomial()).fit(tol=1e-12)
    _close(m.coef_, ref.params); _close(m.bse_, ref.bse)
    _close(m.deviance_, ref.deviance); _close(m.aic_, ref.aic); _close(m.llf_, ref.llf)
    assert list(m.table_.columns[:6]) == ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
    _close(m.table_["odds ratio"], np.exp(ref.params))
    _close(m.table_["[0.025"], ref.conf_int()[0]); _close(m.table_["P>|z|"], ref.pvalues, 1e-8)


def test_poisson_with_offset_equals_statsmodels(synth):
    cov = ["age", "female", "heart_failure", "ckd"]
    d = _pooled(synth)
    ref = sm.GLM(d.admissions, sm.add_constant(d[cov]), family=sm.families.Poisson(), offset=np.log(d.followup_years)).fit(tol=1e-12)
    fed = Federation([s.with_frames(s.local_frame().assign(logfu=np.log(s.local_frame().followup_years)), s.local_frame("test")) for s in synth],
                     synth.schema)
    m = FederatedGLM("poisson", outcome="admissions", covariates=cov, offset="logfu").fit(fed)
    _close(m.coef_, ref.params); _close(m.bse_, ref.bse); _close(m.deviance_, ref.deviance); _close(m.aic_, ref.aic)
    assert "rate ratio" in m.table_.columns
    e = FederatedGLM("poisson", outcome="admissions", covariates=cov, exposure="followup_years").fit(synth)
    _close(e.coef_, m.coef_, 1e-10)


def test_linear_equals_statsmodels_on_both(hd, synth):
    d = _pooled(hd)
    m = FederatedGLM("gaussian", outcome="chol", covariates=["age", "sex", "trestbps", "thalach"]).fit(hd)
    ref = sm.GLM(d.chol, sm.add_constant(d[["age", "sex", "trestbps", "thalach"]]), family=sm.families.Gaussian()).fit(tol=1e-12)
    _close(m.coef_, ref.params); _close(m.bse_, ref.bse); _close(m.aic_, ref.aic)
    ols = sm.OLS(d.chol, sm.add_constant(d[["age", "sex", "trestbps", "thalach"]])).fit()
    _close(m.coef_, ols.params); _close(m.bse_, ols.bse)
    s = _pooled(synth)
    m2 = FederatedGLM("gaussian", outcome="sbp", covariates=["age", "female", "ckd"]).fit(synth)
    r2 = sm.GLM(s.sbp, sm.add_constant(s[["age", "female", "ckd"]]), family=sm.families.Gaussian()).fit(tol=1e-12)
    _close(m2.coef_, r2.params); _close(m2.bse_, r2.bse)
    assert "odds ratio" not in m2.table_.columns


def test_categorical_union_vocabulary_level_missing_at_one_site():
    "A level that one site never saw still gets its column everywhere (union vocabulary); estimates equal the pooled fit."
    df = add_outcomes(generate_hospital_frame(3, seed=2, n_rows=200)).astype({"site": str})
    df.loc[(df.site == "hospital_00") & (df.admission_type == "urgent"), "admission_type"] = "elective"
    fed = _frame_fed(df, test_size=0.0)
    m = FederatedGLM("binomial", covariates=["age", "admission_type"], split="all").fit(fed)
    assert m.terms_ == ["Intercept", "age", "admission_type[T.emergency]", "admission_type[T.urgent]"]
    import statsmodels.formula.api as smf
    ref = smf.glm("readmit_30d ~ age + C(admission_type)", df, family=sm.families.Binomial()).fit(tol=1e-12)
    _close(m.coef_.to_numpy(), ref.params[["Intercept", "age", "C(admission_type)[T.emergency]", "C(admission_type)[T.urgent]"]].to_numpy())


def test_rule_min_rows(hd):
    with pytest.raises(DisclosureError, match=r"rule min_rows: site 'switzerland'.*sites=\[\.\.\.\]"):
        FederatedGLM("binomial", covariates=["age"], min_rows=31).fit(hd)
    m = FederatedGLM("binomial", covariates=["age"], min_rows=31, sites=["cleveland", "hungary", "va"]).fit(hd)
    assert m.sites_ == ["cleveland", "hungary", "va"] and m.nobs_ == 199 + 172 + 85


def test_rule_max_param_fraction(hd):
    "Switzerland has 30 training rows, so 0.33 x 30 = 9.9: a model with 10 parameters is refused there, one with 9 is not."
    with pytest.raises(DisclosureError, match=r"rule max_param_fraction: the binomial GLM has 10 parameters, more than 0.33 x 30 rows at site 'switzerland'"):
        FederatedGLM("binomial", covariates=["age", "sex", "trestbps", "thalach", "exang", "oldpeak", "cp_2", "cp_3", "cp_4"]).fit(hd)
    FederatedGLM("binomial", covariates=["age", "sex", "trestbps", "thalach", "exang", "oldpeak", "cp_2", "cp_4"]).fit(hd)
    with pytest.raises(DisclosureError, match=r"the sites refuse max_param_fraction=0.5 \(rule: policy floor\)"):
        FederatedGLM("binomial", covariates=["age"], max_param_fraction=0.5).fit(hd)
    wide = ["age", "sex", "trestbps", "thalach", "exang", "oldpeak", "cp_2", "cp_3", "cp_4"]
    FederatedGLM("binomial", covariates=wide).fit(hd.with_policy(DisclosurePolicy(max_param_fraction=0.5)))  # the sites' own decision
    with pytest.raises(DisclosureError, match=r"rule max_param_fraction: the binomial GLM has 10 parameters, more than 0.2 x"):
        FederatedGLM("binomial", covariates=wide, max_param_fraction=0.2).fit(hd.with_policy(DisclosurePolicy(max_param_fraction=0.5)))


def test_rule_saturated():
    "One categorical covariate with as many parameters as levels is saturated; a level held by 2 rows at a site is refused."
    df = add_outcomes(generate_hospital_frame(2, seed=3, n_rows=120)).astype({"site": str})
    urg = df.index[(df.site == "hospital_01") & (df.admission_type == "urgent")]
    df.loc[urg[2:], "admission_type"] = "elective"  # leaves 2 urgent patients at hospital_01
    fed = _frame_fed(df, test_size=0.0)
    with pytest.raises(DisclosureError, match=r"rule saturated: at site 'hospital_01'.*holds 2 row\(s\), fewer than min_cell=5"):
        FederatedGLM("binomial", covariates=["admission_type"], split="all").fit(fed)
    FederatedGLM("binomial", covariates=["admission_type", "age"], split="all").fit(fed)  # age makes it unsaturated
    with pytest.raises(DisclosureError, match=r"min_cell=2 \(rule: policy floor\).*DisclosurePolicy\(min_cell=\.\.\.\)"):
        FederatedGLM("binomial", covariates=["admission_type"], split="all", min_cell=2).fit(fed)  # a caller cannot loosen it
    FederatedGLM("binomial", covariates=["admission_type"], split="all").fit(fed.with_policy(DisclosurePolicy(min_cell=2)))  # the sites can
    with pytest.raises(DisclosureError, match=r"rule saturated: at site 'hospital_01'.*fewer than min_cell=3"):
        FederatedGLM("binomial", covariates=["admission_type"], split="all", min_cell=3).fit(fed.with_policy(DisclosurePolicy(min_cell=2)))


def test_constant_and_collinear_columns(hd):
    d = _pooled(hd, "all").assign(site=np.repeat(hd.site_names, [s.n_train + s.n_test for s in hd]))
    fed = Federation.from_frame(d.assign(one=1.0, age2=d.age * 2 + 1), "site", "target", test_size=0.0)
    with pytest.raises(FhaiError, match=r"\['one'\] are constant across all sites"):
        FederatedGLM("binomial", covariates=["age", "one"], split="all").fit(fed)
    with pytest.raises(FhaiError, match="collinear"):
        FederatedGLM("binomial", covariates=["age", "age2", "sex"], split="all").fit(fed)


def test_perfect_separation_refused_then_penalised(hd):
    d = _pooled(hd, "all").assign(site=np.repeat(hd.site_names, [s.n_train + s.n_test for s in hd]))
    d["marker"] = np.where(d.target == 1, d.age + 100, d.age)  # separates the outcome completely
    fed = Federation.from_frame(d, "site", "target", test_size=0.0)
    with pytest.raises(FhaiError, match=r"perfect separation.*'marker'.*penalty=1.0"):
        FederatedGLM("binomial", covariates=["sex", "marker"], split="all").fit(fed)
    m = FederatedGLM("binomial", covariates=["sex", "marker"], split="all", penalty=1.0).fit(fed)
    assert m.converged_ and np.isfinite(m.bse_).all()
    # the ridge fit maximises the penalised likelihood: its gradient X'(y - mu) - (0, b1, b2) vanishes there
    X = np.column_stack([np.ones(len(d)), d.sex, d.marker]); y = d.target.to_numpy(float); b = m.coef_.to_numpy()
    grad = X.T @ (y - 1 / (1 + np.exp(-X @ b))) - np.r_[0.0, b[1:]]
    assert np.abs(grad).max() < 1e-6


def test_bad_outcome_and_exposure():
    df = add_outcomes(generate_hospital_frame(2, seed=0, n_rows=80)).astype({"site": str})
    df.loc[df.index[:2], "followup_years"] = -1.0
    fed = _frame_fed(df, test_size=0.0)
    with pytest.raises(FhaiError, match=r"site 'hospital_00': exposure column 'followup_years' has 2 row\(s\) <= 0"):
        FederatedGLM("poisson", outcome="admissions", covariates=["age"], exposure="followup_years", split="all").fit(fed)
    with pytest.raises(FhaiError, match="must be 0/1"):
        FederatedGLM("binomial", outcome="admissions", covariates=["age"], split="all").fit(fed)
    df2 = df.assign(admissions=-df.admissions - 1, followup_years=1.0)
    with pytest.raises(FhaiError, match="negative values"):
        FederatedGLM("poisson", outcome="admissions", covariates=["age"], split="all").fit(_frame_fed(df2, test_size=0.0))
    with pytest.raises(FhaiError, match="family must be one of"):
        FederatedGLM("gamma")
    with pytest.raises(FhaiError, match="exposure= is for Poisson"):
        FederatedGLM("binomial", exposure="followup_years")
    with pytest.raises(FhaiError, match="Poisson weights have no bound"):
        FederatedGLM("poisson", noise=AggregateNoise(1.0))
    with pytest.raises(FhaiError, match="no column"):
        FederatedGLM("binomial", covariates=["nonexistent"], split="all").fit(fed)


def test_missing_rows_are_left_out_and_counted():
    df = add_outcomes(generate_hospital_frame(2, seed=4, n_rows=100)).astype({"site": str})
    df.loc[df.index[:7], "creatinine"] = np.nan
    fed = _frame_fed(df, test_size=0.0)
    m = FederatedGLM("binomial", covariates=["age", "creatinine"], split="all").fit(fed)
    assert m.n_incomplete_ == 7 and m.nobs_ == 193
    ref = sm.GLM(df.readmit_30d, sm.add_constant(df[["age", "creatinine"]]), family=sm.families.Binomial(), missing="drop").fit(tol=1e-12)
    _close(m.coef_, ref.params)


def test_the_site_enforces_its_rules_whatever_the_caller_sends(hd):
    "A hand-built request that asks a site for looser rules is refused by the site itself, not only by FederatedGLM."
    import functools
    from fhai_nb.glm import design_spec, glm_site_stats
    spec = design_spec(hd, covariates=["age", "sex"])
    s = hd["switzerland"]
    ask = lambda **rules: s.aggregate("glm", functools.partial(glm_site_stats, spec=spec, family="binomial", beta=(0.0, 0.0, 0.0),
                                                               site=s.name, rules=rules))
    with pytest.raises(DisclosureError, match=r"site 'switzerland' refuses max_param_fraction=1 \(rule: policy floor\)"):
        ask(max_param_fraction=1.0)
    with pytest.raises(DisclosureError, match=r"site 'switzerland' refuses min_rows=2 \(rule: policy floor\)"):
        ask(min_rows=2)
    with pytest.raises(DisclosureError, match=r"rule min_rows: site 'switzerland'.*fewer than min_rows=31"):
        ask(min_rows=31)
    assert ask().values["n"] == s.n_train
    with pytest.raises(DisclosureError, match=r"rule min_rows: site 'switzerland'.*fewer than min_rows=40"):  # the site's own policy
        hd.with_policy(DisclosurePolicy(min_model_rows=40))["switzerland"].aggregate(
            "glm", functools.partial(glm_site_stats, spec=spec, family="binomial", beta=(0.0, 0.0, 0.0), site=s.name))


def test_coordinator_refuses_rows():
    with pytest.raises(FhaiError, match="coordinator-side"):
        glm_newton_step(pd.DataFrame({"a": [1]}))


def test_noise_is_seeded_accounted_and_shrinks_with_sigma(synth):
    cov = ["heart_failure", "ckd", "copd"]
    exact = FederatedGLM("binomial", covariates=cov).fit(synth)
    a = FederatedGLM("binomial", covariates=cov, noise=AggregateNoise(1.0, row_clip=2.0, iterations=8), seed=5).fit(synth)
    b = FederatedGLM("binomial", covariates=cov, noise=AggregateNoise(1.0, row_clip=2.0, iterations=8), seed=5).fit(synth)
    c = FederatedGLM("binomial", covariates=cov, noise=AggregateNoise(1.0, row_clip=2.0, iterations=8), seed=6).fit(synth)
    _close(a.coef_, b.coef_, 0); assert not np.allclose(a.coef_, c.coef_)
    assert a.privacy_["accountant"] == "opacus.accountants.RDPAccountant" and len(a.privacy_["releases_per_site"]) == 10
    from opacus.accountants import RDPAccountant
    acc = RDPAccountant()
    for _ in range(10): acc.step(noise_multiplier=1.0, sample_rate=1.0)
    _close(a.privacy_["epsilon"], acc.get_epsilon(1e-5), 1e-9)
    tiny = FederatedGLM("binomial", covariates=cov, noise=AggregateNoise(1e-8, row_clip=10.0, iterations=60)).fit(synth)
    _close(tiny.coef_, exact.coef_, 1e-3)  # no clipping at C=10 (rows have norm <= 2), negligible noise: the Bohning iteration converges to the MLE
    lin = FederatedGLM("gaussian", outcome="female", covariates=cov, noise=AggregateNoise(1e-8, row_clip=10.0, outcome_bound=10.0)).fit(synth)
    _close(lin.coef_, FederatedGLM("gaussian", outcome="female", covariates=cov).fit(synth).coef_, 1e-5)
    _close(lin.bse_, FederatedGLM("gaussian", outcome="female", covariates=cov).fit(synth).bse_, 1e-5)


def test_table_and_forest_plot():
    t = coefficient_table([0.0, 1.0], np.eye(2) * 0.25, ["Intercept", "x"], alpha=0.1, ratio="hazard ratio")
    assert list(t.columns) == ["coef", "std err", "z", "P>|z|", "[0.05", "0.95]", "hazard ratio", "hazard ratio [0.05", "hazard ratio 0.95]"]
    _close(t.loc["x", "[0.05"], 1.0 - 1.6448536 * 0.5, 1e-6)
    fig = plot_forest(t)
    assert list(fig.data[0].y) == ["x"] and fig.layout.xaxis.type == "log"
    with pytest.raises(FhaiError, match="coefficient table"):
        plot_forest(pd.DataFrame({"a": [1]}))
