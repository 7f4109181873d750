"Tests of reading real exports and of the preparation step, on the generated bench of messy exports (fhai_nb.messy)."
import json
import numpy as np
import pandas as pd
import pytest
from fhai_nb.core import FhaiError, Federation
from fhai_nb.data import read_export, read_exports, export_findings, from_csvs
from fhai_nb.messy import messy_exports, icu_extract, clean_site_frame, write_messy_exports
from fhai_nb.prepare import prepare, Preparation, map_outcome, screen_columns, site_auroc_stats, combine_auroc

BENCH = messy_exports(seed=0)

# --- every generated export: read exactly, or refused naming file, column, lines and fix ------------------------

@pytest.mark.parametrize("name", list(BENCH))
def test_bench_export_is_read_exactly_or_refused(name):
    e = BENCH[name]
    try:
        r = read_export(e.data, name=e.name)
        text, ok = "\n".join(r.messages()), r.ok
    except FhaiError as x:
        text, ok = str(x), False
    if e.expect == "read":
        assert ok, text
        pd.testing.assert_frame_equal(r.frame, e.truth, check_dtype=False, check_exact=True)  # exactly the values written
    else:
        assert not ok, f"{name} should be refused but was read"
    for m in (e.name, *e.mentions):
        assert m in text, f"{name}: {m!r} not in\n{text}"
    if e.expect == "refuse" and e.fix is not None:  # the fix named in the message reads it exactly
        got = read_export(e.data, name=e.name, **e.fix).check().frame
        pd.testing.assert_frame_equal(got, e.truth, check_dtype=False, check_exact=True)

def test_refused_reading_hands_back_no_frame():
    for e in BENCH.values():
        if e.expect != "refuse": continue
        try: r = read_export(e.data, name=e.name)
        except FhaiError: continue
        assert r.frame is None and not r.ok and len(r.errors) >= 1
        with pytest.raises(FhaiError, match=e.name): r.check()

def test_detected_options_are_recorded():
    o = lambda n: read_export(BENCH[n].data).options
    assert o("eu_semicolon_bom_crlf.csv") == dict(sep=";", decimal=",", encoding="utf-8-sig", bom=True, line_ends="CRLF")
    assert o("windows1252_tab.tsv") == dict(sep="\t", decimal=".", encoding="cp1252", bom=False, line_ends="CRLF")
    assert o("excel_unicode.txt")["encoding"] == "utf-16" and o("excel_unicode.txt")["bom"]
    assert o("pipe_cr.txt")[("line_ends")] == "CR" and o("pipe_cr.txt")["sep"] == "|"
    assert o("comma_quoted_decimal_comma.csv")["decimal"] == ","

def test_given_options_override_detection():
    e = BENCH["eu_semicolon_bom_crlf.csv"]
    r = read_export(e.data, sep=";", decimal=",", encoding="utf-8")
    pd.testing.assert_frame_equal(r.check().frame, e.truth, check_dtype=False)
    with pytest.raises(FhaiError, match="encoding='ascii'"): read_export(BENCH["windows1252_tab.tsv"].data, encoding="ascii")
    # the wrong decimal mark given by hand is refused cell by cell, not read as other numbers
    r = read_export(e.data, decimal=".")
    assert not r.ok and "decimal mark" in "\n".join(r.messages("error"))

def test_read_export_takes_paths_buffers_and_bytes(tmp_path):
    import io
    e = BENCH["eu_semicolon_bom_crlf.csv"]
    (tmp_path / "lyon.csv").write_bytes(e.data)
    for src in (tmp_path / "lyon.csv", str(tmp_path / "lyon.csv"), io.BytesIO(e.data), e.data):
        pd.testing.assert_frame_equal(read_export(src).check().frame, e.truth, check_dtype=False)
    assert read_export(tmp_path / "lyon.csv").name.endswith("lyon.csv")
    with pytest.raises(FhaiError, match="not found"): read_export(tmp_path / "nope.csv")
    with pytest.raises(FhaiError, match="path, bytes or a file-like"): read_export(42)
    with pytest.raises(FhaiError, match="censored='drop'"): read_export(e.data, censored="drop")

def test_mixed_case_censoring_is_reported_when_applied():
    e = BENCH["censored_age.csv"]
    r = read_export(e.data, name="c.csv", censored={"age": "missing"}).check()
    assert r.frame.age.isna().sum() == e.data.count(b"> 89") >= 3
    assert any("set to missing" in m and e.mentions[2] in m for m in r.messages("warning"))

# --- many files --------------------------------------------------------------------------------------------

READABLE = ["eu_semicolon_bom_crlf.csv", "windows1252_tab.tsv", "excel_unicode.txt", "pipe_cr.txt", "repeated_header.csv", "blank_lines.csv"]

def test_from_csvs_reads_each_file_in_its_own_format(tmp_path):
    paths = {}
    for i, n in enumerate(READABLE):  # each site its own rows and its own format
        base = clean_site_frame(seed=i)
        e = {x.name: x for x in messy_exports(seed=i).values()}[n]
        (tmp_path / n).write_bytes(e.data); paths[f"site{i}"] = tmp_path / n
        pd.testing.assert_frame_equal(e.truth, base)
    fed = from_csvs(paths, "died", exclude=["stay", "admit_date"], test_size=0.25)
    assert fed.site_names == list(paths)
    for i, s in enumerate(fed):
        got = s.local_frame("all").sort_values("age", kind="stable")
        want = clean_site_frame(seed=i).drop(columns=["stay", "admit_date"])
        assert len(got) == len(want) and int(got.died.sum()) == int(want.died.sum())
        np.testing.assert_array_equal(np.sort(got.creatinine.to_numpy()), np.sort(want.creatinine.to_numpy()))
    assert fed.meta["read"]["site0"]["sep"] == ";" and fed.meta["read"]["site3"]["line_ends"] == "CR"
    assert any("repeat the header" in n for n in fed.meta["notes"])
    json.dumps(fed.meta["read"])  # recordable in a run config

def test_from_csvs_reports_every_problem_of_every_file_at_once(tmp_path):
    names = ["censored_age.csv", "text_in_numbers.csv", "empty.csv", "unquoted_separator.csv", "eu_semicolon_bom_crlf.csv"]
    for n in names: (tmp_path / n).write_bytes(BENCH[n].data)
    with pytest.raises(FhaiError) as e: from_csvs([tmp_path / n for n in names], "died")
    msg = str(e.value)
    assert "5 problem(s) in 4 file(s); nothing was built" in msg
    for part in (f"censored_age.csv (site 'censored_age'), column 'age', {BENCH['censored_age.csv'].mentions[2]}", "censored={'age': 'bound'}",
                 "text_in_numbers.csv (site 'text_in_numbers'), column 'creatinine', line(s) 4, 11, 32",
                 "column 'glucose', line(s) 7, 8", "empty.csv (site 'empty'): is empty", "unquoted_separator.csv (site 'unquoted_separator'): "
                 "cannot be split into columns with sep=',': line 9 has 12 fields where the header has 11"):
        assert part in msg, (part, msg)

def test_read_options_per_site(tmp_path):
    for n in ("censored_age.csv", "thousands_ambiguous.csv", "text_in_numbers.csv"): (tmp_path / n).write_bytes(BENCH[n].data)
    rs = read_exports([tmp_path / "censored_age.csv", tmp_path / "text_in_numbers.csv"],
                      read_options={"censored_age": {"censored": {"age": "bound"}}}, na_values=["pending", "see note"])
    assert all(r.ok for r in rs.values())
    f = export_findings(rs)
    assert set(f.site) == {"censored_age", "text_in_numbers"} and "censored value" in set(f.check)
    fed = from_csvs([tmp_path / "censored_age.csv", tmp_path / "text_in_numbers.csv"], "died", exclude=["stay", "admit_date"],
                    read_options={"censored_age": {"censored": {"age": "bound"}}}, na_values=["pending", "see note"])
    assert fed["censored_age"].local_frame("all").age.max() <= 89
    assert any("censored value(s)" in n for n in fed.meta["notes"])
    with pytest.raises(FhaiError, match=r"read_options names site\(s\) \['lyon'\]"):
        read_exports([tmp_path / "censored_age.csv"], read_options={"lyon": {"sep": ";"}})

def test_all_zero_column_is_flagged_not_silently_used():
    r = read_export(BENCH["all_zero_chol.csv"].data, name="z.csv")
    assert r.ok and any("'chol'" in m and "missing code" in m for m in r.messages("warning"))

# --- the preparation step on the raw ICU extract --------------------------------------------------------------

@pytest.fixture(scope="module")
def icu():
    e = icu_extract(seed=0)
    return e, read_export(e.data, name=e.name, **e.fix).check().frame

ICU = dict(outcome="status", positive="readmitted", negative="not readmitted", outcome_missing=["unknown"], site_col="hospital_id")

def test_icu_extract_reads_exactly_once_censoring_is_chosen(icu):
    e, df = icu
    pd.testing.assert_frame_equal(df, e.truth, check_dtype=False)
    with pytest.raises(FhaiError, match=r"column 'age'.*censored=\{'age': 'bound'\}"): read_export(e.data, name=e.name).check()

def test_icu_outcome_must_be_mapped_explicitly(icu):
    _, df = icu
    with pytest.raises(FhaiError, match=r"'not readmitted' \(\d+\), 'unknown' \(\d+\)\. Say which mean 'no event'"):
        prepare(df, outcome="status", positive="readmitted", site_col="hospital_id", small_sites="merge")
    with pytest.raises(FhaiError, match="positive=\\[...\\]"): prepare(df, outcome="status", site_col="hospital_id")

def test_icu_small_sites_named_with_the_options(icu):
    _, df = icu
    with pytest.raises(FhaiError) as e: prepare(df, **ICU)
    msg = str(e.value)
    assert "2 site(s) are small" in msg and "'H07'" in msg and "'H08'" in msg and "small_sites='merge'" in msg and "'region'" in msg

def test_icu_prepare_counts_every_row_and_never_recodes_unknown_to_zero(icu):
    e, df = icu
    p = prepare(df, **ICU, small_sites="region", missing_codes={"chol": [0]})
    t = e.truth
    no_outcome = t.status.isna() | (t.status == "unknown")
    no_site = t.hospital_id.isna() & ~no_outcome
    assert p.rows_.removed.tolist()[:3] == [0, int(no_outcome.sum()), int(no_site.sum())]
    kept = t[~no_outcome & t.hospital_id.notna()]
    fed = p.federation_
    assert sum(s.n_train + s.n_test for s in fed) == len(kept)
    assert sum(int(s.local_frame("all").status.sum()) for s in fed) == int((kept.status == "readmitted").sum())
    oc = p.outcome_.set_index("value")
    assert oc.loc["unknown", "becomes"] == "missing" and oc.loc["(empty)", "becomes"] == "missing"
    assert oc.loc["unknown", "rows"] == int((t.status == "unknown").sum())
    assert {"patient_id", "stay_id", "admit_time"} <= set(p.columns_[p.columns_.role == "excluded"].column)
    assert not {"patient_id", "stay_id", "admit_time", "status", "hospital_id"} & set(p.features_)
    assert "age" in p.features_ and "chol" in p.features_
    assert fed["H03"].local_frame("all").chol.isna().all()  # the missing code became missing, not a cholesterol of 0
    assert not p.notes_
    assert set(p.sites_.set_index("site").loc[["H07", "H08"], "group"]) <= set(fed.site_names)
    assert "H07" not in fed.site_names and "H08" not in fed.site_names

def test_icu_all_zero_site_noted_without_missing_codes(icu):
    _, df = icu
    p = prepare(df, **ICU, small_sites="drop")
    assert p.notes_ == ["column 'chol' is 0 in every row at site 'H03': a missing code? If so, pass missing_codes={'chol': [0]}"]
    assert p.rows_.step.iloc[-1] == "small sites" and p.rows_.removed.iloc[-1] > 0

def test_choices_are_json_and_rebuild_the_same_federation(icu):
    _, df = icu
    p = prepare(df, **ICU, small_sites="merge", seed=3)
    ch = json.loads(json.dumps(p.choices_))
    q = prepare(df, **ch)
    assert q.features_ == p.features_ and q.federation_.site_names == p.federation_.site_names
    for a, b in zip(p.federation_, q.federation_):
        pd.testing.assert_frame_equal(a.local_frame("train"), b.local_frame("train"))
        pd.testing.assert_frame_equal(a.local_frame("test"), b.local_frame("test"))
    code = p.to_python("df")
    ns = {"df": df}
    exec(code, ns)
    assert ns["fed"].site_names == p.federation_.site_names
    assert p.federation_.meta["prepare"] == p.choices_

def test_mixed_dates_column_excluded_with_its_formats():
    df = read_export(BENCH["mixed_dates.csv"].data).check().frame
    df = df.assign(site=np.repeat(["a", "b"], len(df) // 2))
    p = prepare(df, outcome="died", min_site_rows=10, min_per_class=1)
    row = p.columns_.set_index("column").loc["admit_date"]
    assert row.role == "excluded" and row.reason == "date/time" and "mixed formats" in row.detail
    assert "YYYY-MM-DD" in row.detail and "DD/MM/YYYY" in row.detail
    assert p.columns_.set_index("column").loc["stay", "reason"] == "identifier"

def test_missing_site_keep_and_refuse(icu):
    _, df = icu
    with pytest.raises(FhaiError, match=r"row\(s\) have no site"): prepare(df, **ICU, small_sites="merge", missing_site="refuse")
    p = prepare(df, **ICU, small_sites="merge", missing_site="keep")
    assert "unknown site" in set(p.sites_.site) and p.rows_.set_index("step").loc["missing site", "removed"] == 0
    with pytest.raises(FhaiError, match=r"row\(s\) have no outcome"): prepare(df, **ICU, small_sites="merge", missing_outcome="refuse")

def test_prepare_bad_input(icu):
    _, df = icu
    cases = [(dict(outcome="died"), "outcome column 'died' not found"),
             (dict(ICU, site_col="hospital"), "site_col column 'hospital' not found"),
             (dict(ICU, missing_outcome="zero"), "missing_outcome='zero'"),
             (dict(ICU, keep=["bmi"]), r"\['bmi'\]"),
             (dict(ICU, small_sites="county"), "small_sites='county'"),
             (dict(ICU, positive="died"), r"positive value\(s\) \['died'\] never occur"),
             (dict(ICU, negative=["not readmitted", "readmitted"]), "both positive and negative"),
             (dict(ICU, features=[], small_sites="merge"), "no feature columns left")]
    for kw, pat in cases:
        with pytest.raises(FhaiError, match=pat): prepare(df, **kw)
    with pytest.raises(FhaiError, match="unknown choice"): prepare(df, **ICU, site="x")
    with pytest.raises(FhaiError, match="needs outcome="): prepare(df, site_col="hospital_id")
    with pytest.raises(FhaiError, match="pandas DataFrame"): prepare(df.to_numpy(), **ICU)

# --- leakage guard --------------------------------------------------------------------------------------------

def _leaky_frame(seed=0):
    from fhai_nb.synthetic import generate_hospital_frame
    df = generate_hospital_frame(4, seed=seed, n_rows=300)
    rng = np.random.default_rng(seed)
    y = df.readmit_30d.to_numpy()
    leaks = pd.DataFrame({"patient_id": rng.permutation(len(df)) + 10**5,  # an identifier
                          "readmitted": np.where(y == 1, "yes", "no"),  # a copy of the outcome under another name
                          "days_to_readmission": np.where(y == 1, rng.integers(1, 31, len(df)), np.nan)},  # known only after the outcome
                         index=df.index)
    return df, pd.concat([df, leaks], axis=1)

def test_leaking_columns_excluded_by_default_with_reasons():
    clean, leaky = _leaky_frame()
    p = prepare(leaky, outcome="readmit_30d")
    c = p.columns_.set_index("column")
    assert c.loc["patient_id", "reason"] == "identifier"
    assert c.loc["readmitted", "reason"] == "copy of outcome" and "'yes' -> 1" in c.loc["readmitted", "detail"]
    assert c.loc["days_to_readmission", "reason"] == "predicts outcome alone" and c.loc["days_to_readmission", "alone_auroc"] == 1.0
    assert p.features_ == [col for col in clean.columns if col not in ("site", "readmit_30d")]  # every clinical column kept

def test_leakage_guard_auroc_matches_clean_run():
    """FedAvg, 5 rounds, lr 0.3: the prepared federation gives the clean run's AUROC (same features, rows and splits, so the same
    computation: equal to 1e-9); with the leaks kept it is ~1.0 (measured 1.000 against 0.796 clean)."""
    from fhai_nb.engine import run_federated
    clean, leaky = _leaky_frame()
    auroc = lambda fed: float(run_federated(fed, rounds=5, lr=0.3, seed=0).final("test").loc["weighted", "auroc"])
    a_clean = auroc(Federation.from_frame(clean.assign(site=clean.site.astype(str)), "site", "readmit_30d"))
    a_prep = auroc(prepare(leaky, outcome="readmit_30d").federation_)
    a_leak = auroc(prepare(leaky, outcome="readmit_30d", keep=["patient_id", "readmitted", "days_to_readmission"]).federation_)
    assert abs(a_prep - a_clean) <= 1e-9, (a_prep, a_clean)
    assert 0.6 < a_clean < 0.95 and a_leak >= 0.99, (a_clean, a_leak)

def test_within_site_auroc_combination_matches_sklearn_per_site():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(5)
    stats, aucs, pairs = [], [], []
    for k in range(3):
        y = pd.Series((rng.uniform(size=80 + 40 * k) < 0.3).astype(int))
        x = pd.Series(rng.normal(size=len(y)) + y * (k + 1) * 0.3)
        stats.append(site_auroc_stats(x, y)); aucs.append(roc_auc_score(y, x)); pairs.append(y.sum() * (1 - y).sum())
    a, k = combine_auroc(stats)
    assert k == 3 and abs(a - np.average(aucs, weights=pairs)) < 1e-12

def test_explicit_features_override_the_screen_and_say_so(icu):
    _, df = icu
    p = prepare(df, **ICU, small_sites="merge", features=["age", "stay_id"])
    assert p.features_ == ["age", "stay_id"]
    c = p.columns_.set_index("column")
    assert c.loc["stay_id", "role"] == "feature" and c.loc["stay_id", "reason"] == "chosen in features= (screen: identifier)"
    assert c.loc["chol", "role"] == "excluded" and c.loc["chol", "reason"] == "not in features="
    with pytest.raises(FhaiError, match="outcome or site column"): prepare(df, **ICU, small_sites="merge", features=["age", "status"])
