"Tests of the synthetic EHR generator: each knob changes what it names and nothing else; determinism; bad knobs."
from dataclasses import replace
import numpy as np
import pandas as pd
import pytest
from fhai_nb.core import FhaiError, Federation
from fhai_nb.synthetic import (HospitalSpec, hospital_specs, generate_hospital_frame, synthetic_federation,
                               synthetic_schema, SYNTH_TARGET, SYNTH_COLUMNS, LABS, VITALS, GROUND_TRUTH)

N, SEED = 1500, 7
Y = SYNTH_TARGET

@pytest.fixture(scope="module")
def base():
    return generate_hospital_frame(None, seed=SEED, hospitals=hospital_specs(4, n_rows=N))

def with_site(k, **changes):
    hs = hospital_specs(4, n_rows=N)
    hs[k] = replace(hs[k], **changes)
    return generate_hospital_frame(None, seed=SEED, hospitals=hs)

def assert_only(df, base, site, cols):
    "df equals base everywhere except columns `cols` at `site`; returns the site mask."
    m = df.site == site
    pd.testing.assert_frame_equal(df[~m], base[~m])
    keep = [c for c in df.columns if c not in cols]
    pd.testing.assert_frame_equal(df.loc[m, keep], base.loc[m, keep])
    return m

def test_deterministic_and_seed_matters(base):
    again = generate_hospital_frame(4, seed=SEED, n_rows=N)
    pd.testing.assert_frame_equal(base, again)
    other = generate_hospital_frame(4, seed=SEED + 1, n_rows=N)
    assert not np.allclose(base.age.to_numpy(), other.age.to_numpy())
    fa, fb = synthetic_federation(3, seed=1, n_rows=200), synthetic_federation(3, seed=1, n_rows=200)
    for a, b in zip(fa, fb):
        pd.testing.assert_frame_equal(a.local_frame("all"), b.local_frame("all"))

def test_site_does_not_depend_on_other_sites(base):
    # more sites, and a different size and knobs at site 0: sites 1..3 unchanged
    hs = hospital_specs(6, n_rows=N)
    hs[0] = replace(hs[0], n=50, acuity_shift=2.0, units={"glucose": "mmol/L"}, label_noise=0.2)
    df = generate_hospital_frame(None, seed=SEED, hospitals=hs)
    for s in ("hospital_01", "hospital_02", "hospital_03"):
        pd.testing.assert_frame_equal(df[df.site == s].reset_index(drop=True).astype({"site": str}),
                                      base[base.site == s].reset_index(drop=True).astype({"site": str}))

def test_site_size_changes_only_row_count(base):
    df = with_site(2, n=N // 3)
    m, mb = df.site == "hospital_02", base.site == "hospital_02"
    assert m.sum() == N // 3
    pd.testing.assert_frame_equal(df[m].reset_index(drop=True), base[mb].iloc[:N // 3].reset_index(drop=True))
    pd.testing.assert_frame_equal(df[df.site != "hospital_02"].reset_index(drop=True), base[~mb].reset_index(drop=True))

def test_size_skew_dial_spreads_sizes():
    specs = hospital_specs(50, n_rows=400, size_skew=1.0)
    sizes = np.array([s.n for s in specs])
    assert sizes.std() > 150 and sizes.min() >= 4
    assert len({s.n for s in hospital_specs(50, n_rows=400)}) == 1

def test_unit_drift_one_column_one_site_by_factor(base):
    df = with_site(1, units={"creatinine": "umol/L"})
    m = assert_only(df, base, "hospital_01", ["creatinine"])
    np.testing.assert_allclose(df.loc[m, "creatinine"], 88.42 * base.loc[m, "creatinine"])
    df = with_site(3, units={"glucose": "mmol/L"})
    m = assert_only(df, base, "hospital_03", ["glucose"])
    np.testing.assert_allclose(df.loc[m, "glucose"], base.loc[m, "glucose"] / 18.016)

def test_prevalence_shift_changes_only_outcome(base):
    df = with_site(0, intercept_shift=1.0)
    m = assert_only(df, base, "hospital_00", [Y])
    assert df.loc[m, Y].mean() > base.loc[m, Y].mean() + 0.08
    assert (df.loc[m, Y] >= base.loc[m, Y]).all()
    low = with_site(0, intercept_shift=-1.0)
    assert low.loc[m, Y].mean() < base.loc[m, Y].mean() - 0.05

def test_concept_shift_changes_only_outcome(base):
    df = with_site(2, coef_shift={"heart_failure": 2.0})
    m = assert_only(df, base, "hospital_02", [Y])
    hf = m & (base.heart_failure == 1)
    assert df.loc[hf, Y].mean() > base.loc[hf, Y].mean() + 0.15
    pd.testing.assert_series_equal(df.loc[m & (base.heart_failure == 0), Y], base.loc[m & (base.heart_failure == 0), Y])
    assert hospital_specs(3, concept_shift=0.5)[1].coef_shift != {}

def test_case_mix_changes_covariates_not_outcome_model(base):
    df = with_site(1, age_shift=10.0, acuity_shift=1.0)
    m = df.site == "hospital_01"
    pd.testing.assert_frame_equal(df[~m], base[~m])
    assert df.loc[m, "age"].mean() > base.loc[m, "age"].mean() + 10
    assert (df.loc[m, "admission_type"] == "emergency").mean() > (base.loc[m, "admission_type"] == "emergency").mean() + 0.1
    assert df.loc[m, "lactate"].mean() > base.loc[m, "lactate"].mean()
    # the outcome responds only through the covariates: the site's coefficients are the ground truth
    hs = hospital_specs(4, n_rows=N); hs[1] = replace(hs[1], age_shift=10.0, acuity_shift=1.0)
    assert (hs[1].coefficients() == GROUND_TRUTH.set_index("term").coefficient).all()

def test_case_mix_dial_shifts_sites_differently():
    specs = hospital_specs(20, case_mix=1.0)
    shifts = np.array([s.acuity_shift for s in specs])
    assert shifts.std() > 0.5
    np.testing.assert_allclose([s.age_shift for s in specs], 8 * shifts)

def test_mcar_only_named_column_at_named_rate(base):
    df = with_site(0, mcar={"lactate": 0.3})
    m = assert_only(df, base, "hospital_00", ["lactate"])
    assert abs(df.loc[m, "lactate"].isna().mean() - 0.3) < 0.04
    kept = m & df.lactate.notna()
    np.testing.assert_array_equal(df.loc[kept, "lactate"], base.loc[kept, "lactate"])

def test_mar_depends_on_observed_admission_type(base):
    df = with_site(3, mar={"lactate": 0.3})
    m = assert_only(df, base, "hospital_03", ["lactate"])
    miss = df.loc[m, "lactate"].isna()
    by = miss.groupby(df.loc[m, "admission_type"], observed=True).mean()
    assert by["elective"] > by["urgent"] > by["emergency"]
    assert 0.1 < miss.mean() < 0.6

def test_never_recorded_column(base):
    df = with_site(2, never_recorded=["wbc"])
    m = assert_only(df, base, "hospital_02", ["wbc"])
    assert df.loc[m, "wbc"].isna().all()
    fed = synthetic_federation(3, n_rows=100, never_recorded={"hospital_01": ["wbc"]})
    assert fed["hospital_01"].local_frame().wbc.isna().all() and fed["hospital_00"].local_frame().wbc.notna().all()

def test_label_noise_flips_only_labels(base):
    df = with_site(1, label_noise=0.2)
    m = assert_only(df, base, "hospital_01", [Y])
    assert abs((df.loc[m, Y] != base.loc[m, Y]).mean() - 0.2) < 0.04

def test_federation_shape_meta_and_schema():
    fed = synthetic_federation(5, seed=2, n_rows=200, unit_drift={4: {"haemoglobin": "g/L"}}, test_size=0.25)
    assert isinstance(fed, Federation) and fed.site_names == [f"hospital_{i:02d}" for i in range(5)]
    assert [(s.n_train, s.n_test) for s in fed] == [(150, 50)] * 5
    assert fed.schema.names == list(SYNTH_COLUMNS) and fed.schema.target == Y
    assert fed["hospital_04"].meta["units_actual"]["haemoglobin"] == "g/L"
    assert fed.schema["haemoglobin"].unit == "g/dL"
    for s in fed: synthetic_schema().check(s.local_frame("all"), s.name)
    assert fed.meta["seed"] == 2 and fed.meta["dials"]["unit_drift"] == {4: {"haemoglobin": "g/L"}}

def test_mcar_float_covers_vitals_and_labs_only():
    h = HospitalSpec(mcar=0.1, mar=0.2)
    assert set(h.mcar) == set(VITALS + LABS) and set(h.mar) == set(LABS)

# --- bad knob values: one test each -------------------------------------------------------------------

@pytest.mark.parametrize("kw, msg", [
    (dict(n_sites=0), "n_sites=0"),
    (dict(n_sites=2.5), "n_sites=2.5"),
    (dict(seed=-1), "seed=-1"),
    (dict(n_rows=3), "at least 4"),
    (dict(n_rows=[100, 100]), "one size per site"),
    (dict(case_mix=-0.5), "case_mix=-0.5"),
    (dict(size_skew=10), "size_skew=10"),
    (dict(prevalence_shift="high"), "prevalence_shift='high'"),
    (dict(concept_shift=-1), "concept_shift=-1"),
    (dict(mcar=1.0), "never_recorded="),
    (dict(mcar={"troponin": 0.1}), "unknown column(s) ['troponin']"),
    (dict(mar=-0.1), "use a probability in [0, 1)"),
    (dict(label_noise=0.5), "label_noise=0.5"),
    (dict(label_noise=[0.1, 0.1]), "one rate or one per site"),
    (dict(unit_drift={1: {"creatinine": "mmol/dl"}}), "unknown unit 'mmol/dl' for 'creatinine'"),
    (dict(unit_drift={1: {"age": "months"}}), "unit drift is available for"),
    (dict(unit_drift={9: {"glucose": "mmol/L"}}), "site 9"),
    (dict(never_recorded={"nowhere": ["wbc"]}), "site 'nowhere'"),
    (dict(never_recorded={0: ["bmi"]}), "unknown column(s) ['bmi']"),
    (dict(test_size=0), "test_size=0"),
])
def test_bad_knobs(kw, msg):
    args = dict(n_sites=3, n_rows=100) | kw
    with pytest.raises(FhaiError) as e: synthetic_federation(**args)
    assert msg in str(e.value)

def test_bad_hospital_specs():
    with pytest.raises(FhaiError, match="unknown term"): HospitalSpec(coef_shift={"bmi": 0.1})
    with pytest.raises(FhaiError, match="age_shift=90"): HospitalSpec(age_shift=90)
    with pytest.raises(FhaiError, match="not both"): synthetic_federation(None, hospitals=[HospitalSpec()], mcar=0.1)
    with pytest.raises(FhaiError, match="unique"): synthetic_federation(None, hospitals=[HospitalSpec("a"), HospitalSpec("a")])
    with pytest.raises(FhaiError, match="n_sites=2 but 1"): synthetic_federation(2, hospitals=[HospitalSpec()])

def test_extreme_dials_over_many_sites_stay_valid():
    specs = hospital_specs(10_000, seed=3, case_mix=2.0, size_skew=3.0, prevalence_shift=3.0, concept_shift=3.0)
    assert max(abs(s.acuity_shift) for s in specs) <= 5 and min(s.n for s in specs) >= 4

def test_column_never_recorded_anywhere_is_refused():
    with pytest.raises(FhaiError, match=r"\['wbc'\] would be missing at every site"):
        synthetic_federation(2, n_rows=50, never_recorded={0: ["wbc"], 1: ["wbc", "lactate"]})

def test_hospital_table_lists_knobs():
    from fhai_nb.synthetic import hospital_table
    fed = synthetic_federation(3, seed=1, n_rows=100, case_mix=0.5, mcar=0.1, unit_drift={1: {"lactate": "mg/dL"}},
                               never_recorded={2: ["sbp"]})
    t = hospital_table(fed)
    assert list(t.site) == fed.site_names and (t.n == 100).all()
    assert t.units[1] == "lactate in mg/dL" and t.never_recorded[2] == "sbp" and t.mcar[0] == "12 columns at 10%"
    pd.testing.assert_frame_equal(t, hospital_table(hospital_specs(3, seed=1, n_rows=100, case_mix=0.5, mcar=0.1,
                                                                   unit_drift={1: {"lactate": "mg/dL"}}, never_recorded={2: ["sbp"]})))

def test_bad_seed():
    for s in (-1, 2 ** 64, 1.5, "0"):
        with pytest.raises(FhaiError, match="seed="): synthetic_federation(2, seed=s, n_rows=50)
