"The clinical statistics panels, headless: regression and survival states and the widgets that draw them."
import numpy as np
import pandas as pd
import pytest
import traitlets
from fhai_nb.core import FhaiError
from fhai_nb.data import load_heart_disease
from fhai_nb.glm import FederatedGLM
from fhai_nb.survival import federated_km, federated_logrank
from fhai_nb.stats_panel import (RegressionState, SurvivalState, CoxState, RegressionPanel, SurvivalPanel, CoxPanel, StatisticsPanel,
                                 coefficient_html, load_dataset, outcome_families)

@pytest.fixture(scope="module")
def heart(): return load_heart_disease()

def test_fit_table_equals_federated_glm(heart):
    s = RegressionState(heart, covariates=("age", "sex", "thalach")).fit()
    ref = FederatedGLM("binomial", "target", ["age", "sex", "thalach"]).fit(heart).table_
    pd.testing.assert_frame_equal(s.table, ref)
    assert not s.error and "converged" in s.message and s.model.nobs_ > 0

def test_panel_click_fits_and_covariate_change_refits(heart):
    p = RegressionPanel(RegressionState(heart), plots=False)
    assert p.table.value == "" and p.state.table is None  # nothing fitted before the click
    p.fit_button.click()
    first = p.state.table
    assert list(first.index) == ["Intercept", *p.state.covariates] and "odds ratio" in p.table.value
    p.covariates.value = ("age", "oldpeak")
    assert list(p.state.table.index) == ["Intercept", "age", "oldpeak"] and "oldpeak" in p.table.value
    ref = FederatedGLM("binomial", "target", ["age", "oldpeak"]).fit(heart).table_
    np.testing.assert_allclose(p.state.table.to_numpy(), ref.to_numpy(), rtol=1e-12)

def test_family_follows_outcome_and_poisson_gives_rate_ratios(heart):
    s = RegressionState(heart, covariates=("age", "sex"))
    s.update(outcome="chol")
    assert s.family == "gaussian" and "chol" not in s.options()["covariates"]
    s.update(family="poisson")
    s.fit()
    ref = FederatedGLM("poisson", "chol", ["age", "sex"]).fit(heart).table_
    pd.testing.assert_frame_equal(s.table, ref)
    html = coefficient_html(s.table)
    assert all(c in html for c in ("rate ratio", "rate ratio [0.025", "rate ratio 0.975]")) and "<th>z</th>" not in html
    s.update(outcome="thalach", family="gaussian")
    html = coefficient_html(s.table)
    assert "[0.025" in html and "0.975]" in html and "ratio" not in html  # a linear model has no ratios: the coefficient's interval
    s.update(outcome="target")
    assert s.family == "binomial" and "odds ratio" in s.table.columns

def test_refusals_become_messages(heart):
    p = RegressionPanel(RegressionState(heart), plots=False)
    p.fit_button.click()
    p.covariates.value = tuple(p.covariates.options)  # 14 parameters: more than 0.33 x 30 rows at switzerland
    s = p.state
    assert s.error and s.table is None and p.table.value == ""
    assert "max_param_fraction" in s.message and "switzerland" in s.message and "Traceback" not in p.message.value
    s.update(covariates=())
    assert s.error and "at least one covariate" in s.message
    s.update(covariates=("age",))
    assert not s.error and s.table is not None  # a valid choice after a refusal fits again

def test_km_curves_and_logrank():
    s = SurvivalState()
    assert s.km is None
    s.fit()
    fed = s.federation
    assert not s.error and set(s.km.site) == {"pooled", *fed.site_names}
    ref = federated_km(fed, "T", "E")
    pd.testing.assert_frame_equal(s.km, ref)
    lr = federated_logrank(fed, "T", "E")
    assert s.logrank.statistic == pytest.approx(lr.statistic, rel=1e-12) and f"p = {lr.p_value:.3g}" in s.message

def test_survival_panel_bins_groups_and_refusal():
    p = SurvivalPanel(plots=False)
    p.resolution.value, p.group.value = 365.0, "prior_malignancy_yes"
    assert (p.state.resolution, p.state.group) == (365.0, "prior_malignancy_yes")
    p.fit_button.click()
    assert not p.state.error and p.state.logrank.df == 1 and not p.state.km.attrs["exact"]
    assert "observed" in p.table.value and "365-day bins" in p.message.value
    p.resolution.value = 30.0  # after an estimate, a change re-estimates without a click
    assert "30-day bins" in p.message.value and p.state.km.attrs["resolution"] == 30.0
    s = SurvivalState(group="no_such_column").fit()  # the panel offers only real columns; the state refuses others
    assert s.error and s.km is None and s.logrank is None

def test_survival_refusal_in_panel(heart):
    p = SurvivalPanel(SurvivalState(heart), plots=False)  # Heart Disease has no time column
    p.fit_button.click()
    assert p.state.error and "time column" in p.message.value and p.table.value == "" and "Traceback" not in p.message.value

def test_cox_state_and_panel_refusals(heart):
    p = CoxPanel(CoxState(heart), plots=False)  # Heart Disease has no time column
    assert p.state.table is None and p.message.value == ""  # nothing fitted before the button
    p.fit_button.click()
    assert p.state.error and "time column" in p.message.value and p.table.value == "" and "Traceback" not in p.message.value
    s = CoxState(covariates=("age_at_index", "no_such_column")).fit()  # the panel offers only real columns; the state refuses others
    assert s.error and s.table is None and "no_such_column" in s.message
    s = CoxState(covariates=("age_at_index",), baseline="shared").fit()
    assert s.error and "min_at_risk" in s.message and "strata='site'" in s.message  # the refusal names the way out
    s.baseline = "site"  # after the first fit a change refits
    assert not s.error and list(s.table.index) == ["age_at_index"] and s.model.n_events_ == 119
    with pytest.raises(traitlets.TraitError, match="baseline"): CoxState(baseline="pooled")  # not a choice

def test_cox_reloading_the_dataset_resets_the_fit_and_the_picker():
    p = CoxPanel(plots=False)
    p.fit_button.click()
    s, v = p.state, p.state.version
    p.covariates.value = ("age_at_index",)
    assert s.covariates == ("age_at_index",) and list(s.table.index) == ["age_at_index"]
    s._new_data({"name": "dataset"})  # what choosing a dataset does: its preset covariates, refitted
    assert s.covariates == p.covariates.value == s.default_covariates() and list(s.table.index) == list(s.default_covariates())
    s._new_data({"name": "dataset"})  # the same preset again: still refitted, not left without a table
    assert s.table is not None and s.version > v + 2

def test_statistics_panel_and_plots():
    st = StatisticsPanel()
    assert st.titles == ("Regression", "Survival", "Cox model")
    st.regression_panel.fit_button.click()
    st.survival_panel.fit_button.click()
    st.cox_panel.fit_button.click()
    cox = st.cox_panel.forest.children[0]
    assert "fhai-stats-cox-forest" in cox._dom_classes and list(cox.figure.data[0].y) == list(st.cox_panel.state.covariates)[::-1]
    forest, km = st.regression_panel.forest.children[0], st.survival_panel.curves.children[0]
    assert "fhai-stats-forest" in forest._dom_classes and "fhai-stats-km" in km._dom_classes
    assert len(forest.figure.data) == 1 and len(km.figure.data) >= 1 + len(st.survival_panel.state.federation.site_names)
    assert forest.outputs and "application/vnd.plotly.v1+json" in forest.outputs[0]["data"]

def test_bad_input():
    with pytest.raises(FhaiError, match="no dataset"): load_dataset("nope")
    assert outcome_families(load_dataset("heart"))["target"] == ("binomial",)
    assert coefficient_html(None) == ""

def test_playground_has_folded_statistics_section():
    from fhai_nb.playground import Playground
    app = Playground(warm=False)
    assert app.stats_section.titles == ("7. Clinical statistics",) and app.stats_section.selected_index is None
    assert app._stats is None  # folded: built when first opened
    app.stats_section.selected_index = 0
    assert app.stats_section.children == (app._stats,) and isinstance(app.stats_panel, StatisticsPanel)
