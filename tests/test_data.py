"Integration tests for fhai_nb.data: bundled Heart Disease, CSV federations, partitioners."
import hashlib
from importlib import resources
import numpy as np
import pandas as pd
import pytest
from fhai_nb.core import FhaiError
from fhai_nb.data import load_heart_disease, heart_disease_frame, HEART_DISEASE_CITATION, FLAMBY_FEATURES

SHA = {"processed.cleveland.data": "a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8",
       "processed.hungarian.data": "d1ad108f785768cd3d7e82dc522e6f5a61eea93cccfb3a46ee8076f73fc3d796",
       "processed.switzerland.data": "834a405ccf5b66ab4056bb77794adc8df0b7125186454c0a1d002d33c6c3b314",
       "processed.va.data": "e7c93d8d0d2acdadfa4c5e8de768e2191e7f618b952e29623f1f0d5949ff6b8f"}

def test_bundled_files_are_byte_identical_and_attributed():
    d = resources.files("fhai_nb").joinpath("data", "heart_disease")
    for f, h in SHA.items(): assert hashlib.sha256(d.joinpath(f).read_bytes()).hexdigest() == h
    assert "CC BY 4.0" in d.joinpath("README.md").read_text()
    for name in ("Janosi", "Steinbrunn", "Pfisterer", "Detrano", "10.24432/C52P4X", "CC BY 4.0"):
        assert name in HEART_DISEASE_CITATION

def test_heart_disease_flamby_counts():
    fed = load_heart_disease("flamby")
    assert fed.site_names == ["cleveland", "hungary", "switzerland", "va"]
    assert fed.schema.names == list(FLAMBY_FEATURES) and len(fed.schema.names) == 13
    assert [(s.n_train, s.n_test) for s in fed] == [(199, 104), (172, 89), (30, 16), (85, 45)]
    pos = [(int(s.local_frame("train").target.sum()), int(s.local_frame("test").target.sum())) for s in fed]
    assert pos == [(91, 48), (65, 33), (30, 15), (66, 35)]
    for s in fed:
        df = s.local_frame("all")
        assert not df[fed.schema.names].isna().any().any()
        dummies = df[["cp_2", "cp_3", "cp_4"]].sum(axis=1)
        assert dummies.isin([0, 1]).all()

def test_heart_disease_raw_counts_and_recoding():
    fed = load_heart_disease("raw")
    assert [s.n_train + s.n_test for s in fed] == [303, 294, 123, 200]
    df = heart_disease_frame("raw")
    assert len(df) == 920 and df.target.sum() == 139 + 106 + 115 + 149
    assert not (df.chol == 0).any() and not (df.trestbps == 0).any()
    assert df[df.site == "switzerland"].chol.isna().all()
    assert isinstance(df.cp.dtype, pd.CategoricalDtype) and list(df.cp.cat.categories) == [1, 2, 3, 4]
    assert fed.schema["chol"].unit == "mg/dl" and fed.schema["thalach"].unit == "bpm"
    assert fed["hungary"].meta["country"] == "Hungary"

def test_heart_disease_split_is_deterministic():
    a, b = load_heart_disease(), load_heart_disease()
    pd.testing.assert_frame_equal(a["va"].local_frame("test"), b["va"].local_frame("test"))
    c = load_heart_disease(random_state=0)
    assert not a["cleveland"].local_frame("test").equals(c["cleveland"].local_frame("test"))

def test_bad_protocol():
    with pytest.raises(FhaiError, match="unknown protocol 'fedheart'.*'flamby'.*'raw'"):
        load_heart_disease("fedheart")

def test_bad_site_name():
    with pytest.raises(FhaiError, match="unknown Heart Disease site.*boston"):
        load_heart_disease(sites=["boston"])
    with pytest.raises(FhaiError, match="sites is empty"): load_heart_disease(sites=[])  # it said "unknown site(s) []"

# --- one CSV per site ----------------------------------------------------------------------------------
from fhai_nb.data import from_csvs, HEART_DISEASE_SITES
from fhai_nb.partition import partition, assign_sites

@pytest.fixture
def csv_dir(tmp_path):
    pooled = heart_disease_frame("flamby")
    for s, g in pooled.groupby("site", sort=False): g.drop(columns="site").to_csv(tmp_path / f"{s}.csv", index=False)
    return tmp_path

def _va(csv_dir): return pd.read_csv(csv_dir / "va.csv")

def test_from_csvs_roundtrip_matches_loader(csv_dir):
    fed = from_csvs([csv_dir / f"{s}.csv" for s in HEART_DISEASE_SITES], "target", test_size=0.34, seed=43)
    ref = load_heart_disease()
    assert fed.site_names == ref.site_names
    srt = lambda d: d.sort_values(list(d.columns)).reset_index(drop=True)
    for a, b in zip(fed, ref):  # the same rows in each split (the loader keeps file order, from_frame the shuffled order)
        pd.testing.assert_frame_equal(srt(a.local_frame("test")), srt(b.local_frame("test")), check_dtype=False)
        pd.testing.assert_frame_equal(srt(a.local_frame("train")), srt(b.local_frame("train")), check_dtype=False)
    assert fed.meta["source"] == "csv" and fed.meta["files"]["va"].endswith("va.csv")
    named = from_csvs({"A": csv_dir / "cleveland.csv", "B": csv_dir / "va.csv"}, "target")
    assert named.site_names == ["A", "B"]

def test_csv_empty_file(csv_dir):
    (csv_dir / "empty.csv").write_text("")
    with pytest.raises(FhaiError, match=r"empty\.csv.*site 'empty'.*is empty"):
        from_csvs([csv_dir / "cleveland.csv", csv_dir / "empty.csv"], "target")
    (csv_dir / "header.csv").write_text("age,sex,target\n")
    with pytest.raises(FhaiError, match=r"header\.csv.*header but no rows"):
        from_csvs([csv_dir / "cleveland.csv", csv_dir / "header.csv"], "target")

def test_csv_columns_disagree(csv_dir):
    _va(csv_dir).drop(columns=["chol"]).rename(columns={"age": "age_years"}).to_csv(csv_dir / "va2.csv", index=False)
    with pytest.raises(FhaiError) as e: from_csvs([csv_dir / "cleveland.csv", csv_dir / "va2.csv"], "target")
    msg = str(e.value)
    assert "va2.csv" in msg and "lacks ['age', 'chol']" in msg and "extra ['age_years']" in msg and "same header" in msg

def test_csv_types_disagree(csv_dir):
    _va(csv_dir).assign(sex=lambda d: d.sex.map({1.0: "M", 0.0: "F"})).to_csv(csv_dir / "va_sex.csv", index=False)
    with pytest.raises(FhaiError) as e: from_csvs([csv_dir / "cleveland.csv", csv_dir / "va_sex.csv"], "target")
    msg = str(e.value)
    assert "'sex' is numeric at site(s) ['cleveland'] but text at site(s) ['va_sex']" in msg and "va_sex.csv" in msg

def test_csv_text_in_numeric_column(csv_dir):
    d = _va(csv_dir).astype({"chol": object}); d.loc[:4, "chol"] = "pending"
    d.to_csv(csv_dir / "va_pending.csv", index=False)
    with pytest.raises(FhaiError) as e: from_csvs([csv_dir / "cleveland.csv", csv_dir / "va_pending.csv"], "target")
    msg = str(e.value)
    assert "'chol'" in msg and "va_pending.csv" in msg and "['pending']" in msg and "na_values=['pending']" in msg
    fed = from_csvs([csv_dir / "cleveland.csv", csv_dir / "va_pending.csv"], "target", na_values=["pending"])
    assert int(fed["va_pending"].local_frame("all").chol.isna().sum()) == 5

def test_csv_other_bad_inputs(csv_dir):
    with pytest.raises(FhaiError, match="not found"): from_csvs([csv_dir / "cleveland.csv", csv_dir / "nope.csv"], "target")
    with pytest.raises(FhaiError, match="one file per site"): from_csvs(str(csv_dir / "cleveland.csv"), "target")
    with pytest.raises(FhaiError, match="target column 'died'"): from_csvs([csv_dir / "cleveland.csv"], "died")
    (csv_dir / "sub").mkdir(); (csv_dir / "sub" / "va.csv").write_text((csv_dir / "va.csv").read_text())
    with pytest.raises(FhaiError, match="mapping"): from_csvs([csv_dir / "va.csv", csv_dir / "sub" / "va.csv"], "target")

def test_csv_bad_target_leaves_nothing(csv_dir):
    _va(csv_dir).assign(target=lambda d: d.target * 2).to_csv(csv_dir / "va_t.csv", index=False)
    with pytest.raises(FhaiError, match="site 'va_t'.*binary"):
        from_csvs([csv_dir / "cleveland.csv", csv_dir / "va_t.csv"], "target")

# --- partitioners: bad input -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pooled():
    return heart_disease_frame("flamby").drop(columns="site")

def test_partition_bad_alpha(pooled):
    for a in (0, -1, float("nan"), "big"):
        with pytest.raises(FhaiError, match="alpha=.*positive number"): partition(pooled, "target", 4, "dirichlet", alpha=a)

def test_partition_bad_n_sites(pooled):
    for n in (0, -2, 2.5, True):
        with pytest.raises(FhaiError, match="n_sites=.*whole number"): partition(pooled, "target", n)
    with pytest.raises(FhaiError, match="cannot give 500 sites at least 4 rows"): partition(pooled, "target", 500)

def test_partition_bad_scheme_strength_feature(pooled):
    with pytest.raises(FhaiError, match="unknown scheme 'label'"): partition(pooled, "target", 4, "label")
    with pytest.raises(FhaiError, match=r"strength=1.5"): partition(pooled, "target", 4, "covariate", strength=1.5)
    with pytest.raises(FhaiError, match="feature 'bmi' not found"): partition(pooled, "target", 4, "covariate", feature="bmi")
    with pytest.raises(FhaiError, match="target column 'y' not found"): partition(pooled, "target".replace("target", "y"), 4)

def test_partition_refuses_unreachable_skew(pooled):
    with pytest.raises(FhaiError, match=r"raise alpha \(now 0.01\)"): partition(pooled, "target", 40, "dirichlet", alpha=0.01)
    with pytest.raises(FhaiError, match=r"lower strength"):
        partition(pooled.assign(score=pooled.target), "target", 4, "covariate", feature="score", strength=1.0)

def test_partition_meta_and_names(pooled):
    fed = partition(pooled, "target", 3, "quantity", alpha=1.0, seed=2, site_names=["a", "b", "c"])
    assert fed.site_names == ["a", "b", "c"] and fed.meta["scheme"] == "quantity" and fed.meta["alpha"] == 1.0
    with pytest.raises(FhaiError, match="site_names has 2 names"): partition(pooled, "target", 3, site_names=["a", "b"])
    # a repeated name used to surface as pandas' "Categorical categories must be unique"
    with pytest.raises(FhaiError, match="repeat a name"): partition(pooled, "target", 3, site_names=["a", "b", "a"])

def test_csv_text_code_column_declared_with_dtype(tmp_path):
    for nm, w, yv in [("w1", ["12", "14", "12", "ICU", "14", "12"], [0, 1, 0, 1, 1, 0]),
                      ("w2", ["14", "ICU", "12", "12", "14", "ICU"], [1, 0, 0, 1, 0, 1])]:
        pd.DataFrame(dict(ward=w, age=[50, 60, 70, 80, 55, 65], died=yv)).to_csv(tmp_path / f"{nm}.csv", index=False)
    with pytest.raises(FhaiError, match=r"dtype=\{'ward': str\}"): from_csvs([tmp_path / "w1.csv", tmp_path / "w2.csv"], "died")
    fed = from_csvs([tmp_path / "w1.csv", tmp_path / "w2.csv"], "died", dtype={"ward": str})
    assert fed.schema["ward"].kind == "categorical" and fed.schema["ward"].categories == ("12", "14", "ICU")

def test_flamby_split_matches_flamby_rule_row_for_row():
    "Re-derive FLamby's split (indices over np.arange(n), train_size=0.66 and test_size=1-0.66, membership keeps file order)."
    from sklearn.model_selection import train_test_split
    from fhai_nb.data import read_heart_disease_file
    fed = load_heart_disease()
    for site in HEART_DISEASE_SITES:
        raw = read_heart_disease_file(site).drop(columns=["slope", "ca", "thal"]).dropna().reset_index(drop=True)
        y = (raw.num > 0).astype(int)
        strat = y if y.nunique() > 1 and y.value_counts().min() > 2 else None
        _, te = train_test_split(np.arange(len(raw)), test_size=1.0 - 0.66, train_size=0.66, random_state=43, shuffle=True, stratify=strat)
        is_test = np.isin(np.arange(len(raw)), te)
        for split, mask in (("train", ~is_test), ("test", is_test)):
            got = fed[site].local_frame(split)
            np.testing.assert_array_equal(got[["age", "trestbps", "chol", "thalach", "oldpeak"]].to_numpy(),
                                          raw.loc[mask, ["age", "trestbps", "chol", "thalach", "oldpeak"]].to_numpy())
            np.testing.assert_array_equal(got.target.to_numpy(), y[mask].to_numpy())
            np.testing.assert_array_equal(got.cp_4.to_numpy(), (raw.loc[mask, "cp"] == 4).astype(float).to_numpy())

# --- real export formats through from_csvs ----------------------------------------------------------------------

def test_csv_european_export_reads_like_the_plain_one(csv_dir):
    "Semicolons, decimal commas, BOM and CRLF at one site; plain CSV at the others: the same federation as all-plain files."
    va = _va(csv_dir)
    (csv_dir / "va_eu.csv").write_bytes(va.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n").encode("utf-8-sig"))
    a = from_csvs({s: csv_dir / f"{s}.csv" for s in ("cleveland", "va")}, "target", seed=1)
    b = from_csvs({"cleveland": csv_dir / "cleveland.csv", "va": csv_dir / "va_eu.csv"}, "target", seed=1)
    for x, y in zip(a, b): pd.testing.assert_frame_equal(x.local_frame("all"), y.local_frame("all"), check_exact=True)
    assert b.meta["read"]["va"] == dict(sep=";", decimal=",", encoding="utf-8-sig", bom=True, line_ends="CRLF")
    # forcing the wrong separator is refused (pandas would have made the surplus fields an index and shifted the columns)
    with pytest.raises(FhaiError, match=r"va_eu.csv \(site 'va'\): has 13 field\(s\) more in its rows than in its header with sep=','. Fix: pass sep="):
        from_csvs({"cleveland": csv_dir / "cleveland.csv", "va": csv_dir / "va_eu.csv"}, "target", sep=",")

def test_csv_repeated_header_dropped_with_its_line(csv_dir):
    text = (csv_dir / "va.csv").read_text().split("\n")
    text.insert(50, text[0])  # line 51 repeats the header
    (csv_dir / "va_rep.csv").write_text("\n".join(text))
    fed = from_csvs({"cleveland": csv_dir / "cleveland.csv", "va": csv_dir / "va_rep.csv"}, "target")
    assert fed["va"].n_train + fed["va"].n_test == 130
    assert any("line(s) 51" in n and "repeat the header" in n for n in fed.meta["notes"])

def test_csv_text_in_several_columns_reported_at_once(csv_dir):
    d = _va(csv_dir).astype({"chol": object, "trestbps": object})
    d.loc[[0, 4], "chol"], d.loc[[7], "trestbps"] = "pending", "see note"
    d.to_csv(csv_dir / "va_two.csv", index=False)
    with pytest.raises(FhaiError) as e: from_csvs([csv_dir / "cleveland.csv", csv_dir / "va_two.csv"], "target")
    msg = str(e.value)
    assert "2 problem(s) in 1 file(s)" in msg and "column 'trestbps', line(s) 9" in msg and "column 'chol', line(s) 2, 6" in msg


def test_heart_disease_exclude():
    raw = load_heart_disease("raw", exclude=["ca", "thal"])
    assert "ca" not in raw.schema.names and "thal" not in raw.schema.names
    assert "ca" not in raw["cleveland"].local_frame("train").columns
    assert len(raw["cleveland"].local_frame("train")) == len(load_heart_disease("raw")["cleveland"].local_frame("train"))
    with pytest.raises(FhaiError, match="cannot exclude \\['nope'\\]"): load_heart_disease("raw", exclude=["nope"])
