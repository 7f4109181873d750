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
