__all__ = ['WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports', 'WARDS', 'REGIONS', 'MessyExport', 'clean_site_frame', 'messy_exports', 'icu_extract', 'write_messy_exports']

# %% ../nbs/01b_prepare.ipynb #a2567888
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #eb8827fd
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #d400431a
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 42: hdr})  # after rows 19 and 39: lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeated header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #66d1616f
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    d = base.assign(age=base.age.astype(object))
    for i, a in ((3, 93.0), (17, 90.0), (40, 101.0)): d.loc[i, "age"] = "> 89"
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", "line(s) 5, 19, 42", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~base.index.isin([3, 17, 40]), 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #12c2257d
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #04fbf9df
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #1f32e2b5
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #ab626126
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeated header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #d9b489e7
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    d = base.assign(age=base.age.astype(object))
    for i, a in ((3, 93.0), (17, 90.0), (40, 101.0)): d.loc[i, "age"] = "> 89"
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", "line(s) 5, 19, 42", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~base.index.isin([3, 17, 40]), 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #15b5ea9d
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #4762fb66
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #456eb97e
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #2c06ebb4
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #694094af
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    d = base.assign(age=base.age.astype(object))
    for i, a in ((3, 93.0), (17, 90.0), (40, 101.0)): d.loc[i, "age"] = "> 89"
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", "line(s) 5, 19, 42", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~base.index.isin([3, 17, 40]), 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #3e622faf
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #c4bdb309
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #0910bdc8
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #392f5aeb
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef3e367a
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    d = base.assign(age=base.age.astype(object))
    for i, a in ((3, 93.0), (17, 90.0), (40, 101.0)): d.loc[i, "age"] = "> 89"
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", "line(s) 5, 19, 42", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~base.index.isin([3, 17, 40]), 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #3e95f359
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #c4bdb309
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #0910bdc8
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #392f5aeb
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef3e367a
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    d = base.assign(age=base.age.astype(object))
    for i, a in ((3, 93.0), (17, 90.0), (40, 101.0)): d.loc[i, "age"] = "> 89"
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", "line(s) 5, 19, 42", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~base.index.isin([3, 17, 40]), 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #3e95f359
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #646a0681
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #4dd71237
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #e3528e67
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef821c9e
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #9dde94eb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #646a0681
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #4dd71237
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #e3528e67
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef821c9e
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #9dde94eb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #646a0681
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #4dd71237
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #e3528e67
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef821c9e
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #9dde94eb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #646a0681
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #4dd71237
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #e3528e67
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef821c9e
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #9dde94eb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #646a0681
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #4dd71237
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #e3528e67
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #ef821c9e
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #9dde94eb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #b4f76871
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #c9404dca
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #db76cb46
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #51c48468
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #7e4542cb
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #16dd288d
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #58f50ef0
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #b9c08232
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #14ff9429
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #f643d399
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #16dd288d
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #58f50ef0
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #b9c08232
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #14ff9429
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #f643d399
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #4584f831
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #9e154c65
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #21a3c5b8
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #2627c6a2
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #a36cf0ae
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out

# %% ../nbs/01b_prepare.ipynb #4584f831
# fhai_nb.messy: generated hospital exports with the faults real ones have, and what a correct reading of each gives
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import pandas as pd
from .synthetic import generate_hospital_frame

# %% ../nbs/01b_prepare.ipynb #9e154c65
@dataclass
class MessyExport:
    "One generated export: its bytes, its fault, and what reading it must give."
    name: str  # file name
    data: bytes  # the file's bytes
    quirk: str  # the fault, in words
    expect: str  # 'read' (reads correctly as it is) or 'refuse' (must be refused as it is)
    mentions: tuple = ()  # what the refusal (or, for 'read', a warning) must name: file, column, lines, fix
    fix: dict | None = None  # read_export options under which it reads correctly (None: the file must be corrected)
    truth: pd.DataFrame | None = field(default=None, repr=False)  # what a correct reading gives (under `fix`)

WARDS = ("Médecine interne", "Réanimation", "Chirurgie générale", "Cardiologie")

def clean_site_frame(seed: int = 0,  # seed of the synthetic patients
                     n: int = 60,  # rows
                    ) -> pd.DataFrame:
    "One hospital's table before any export fault: numbers, a 0/1 outcome, an accented ward name and an admission date."
    d = generate_hospital_frame(1, seed=seed, n_rows=n)
    rng = np.random.default_rng(seed)
    out = d[["age", "female", "sbp", "creatinine", "lactate", "glucose"]].copy()
    out.insert(0, "stay", np.arange(1, n + 1))
    out["chol"] = rng.normal(200, 35, n).round(1)
    out["ward"] = rng.choice(WARDS, n)
    out["admit_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    out["admit_date"] = out.admit_date.dt.strftime("%Y-%m-%d")
    out["died"] = d.readmit_30d.to_numpy()
    return out.reset_index(drop=True)

def _csv(df: pd.DataFrame, sep=",", decimal=".", line="\n", encoding="utf-8") -> bytes:
    return df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator=line).encode(encoding)

# %% ../nbs/01b_prepare.ipynb #21a3c5b8
def _insert_lines(data: bytes, at: dict, encoding="utf-8", line="\n") -> bytes:
    "Insert text lines before the given (0-based) line indices of an encoded CSV."
    lines = data.decode(encoding).split(line)
    for i in sorted(at, reverse=True): lines.insert(i, at[i])
    return line.join(lines).encode(encoding)

def _format_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports that differ only in format: each must read back exactly as `base`."
    n = len(base)
    hdr = ",".join(base.columns)
    rep = _insert_lines(_csv(base), {21: hdr, 41: hdr})  # they become lines 22 and 43 of the file
    blank = _insert_lines(_csv(base), {5: "", 30: ""})
    return [
        MessyExport("eu_semicolon_bom_crlf.csv", _csv(base, ";", ",", "\r\n", "utf-8-sig"),
                    "semicolons, decimal commas, a byte-order mark and CRLF line ends (a European Excel export)", "read", truth=base),
        MessyExport("windows1252_tab.tsv", _csv(base, "\t", ".", "\r\n", "cp1252"), "tab-separated, accents in Windows-1252", "read", truth=base),
        MessyExport("excel_unicode.txt", _csv(base, "\t", ".", "\r\n", "utf-16"), "Excel 'Unicode text': UTF-16 with a byte-order mark, tabs", "read", truth=base),
        MessyExport("pipe_cr.txt", _csv(base, "|", ".", "\r"), "pipe-separated with old Mac CR line ends", "read", truth=base),
        MessyExport("comma_quoted_decimal_comma.csv", _csv(base, ",", ","), "comma-separated with quoted decimal commas (\"61,5\")", "read", truth=base),
        MessyExport("repeated_header.csv", rep, "the header repeated inside the file (pages of a report pasted together)", "read",
                    ("repeat the header", "line(s) 22, 43"), truth=base),
        MessyExport("blank_lines.csv", blank, "blank lines inside the table", "read", truth=base),
    ]

# %% ../nbs/01b_prepare.ipynb #2627c6a2
def _value_faults(base: pd.DataFrame) -> list[MessyExport]:
    "Exports with faults in their values: each must be refused as it is, naming the file, column, lines and fix."
    n, out = len(base), []
    old = base.age.where(~base.index.isin([3, 17, 40]), 95.0) > 89  # every age above 89 top-coded, three at least
    d = base.assign(age=base.age.astype(object).where(~old, "> 89"))
    lines = ", ".join(str(i + 2) for i in np.flatnonzero(old)[:8])
    out.append(MessyExport("censored_age.csv", _csv(d), "ages above 89 exported as '> 89' (HIPAA top-coding)", "refuse",
                           ("censored_age.csv", "'age'", f"line(s) {lines}", "censored={'age': 'bound'}"),
                           fix=dict(censored={"age": "bound"}), truth=base.assign(age=base.age.where(~old, 89.0))))
    d = base.astype({"creatinine": object, "glucose": object})
    d.loc[[2, 9, 30], "creatinine"], d.loc[[5, 6], "glucose"] = "pending", "see note"
    t = base.copy(); t.loc[[2, 9, 30], "creatinine"] = np.nan; t.loc[[5, 6], "glucose"] = np.nan
    out.append(MessyExport("text_in_numbers.csv", _csv(d), "text in two numeric columns ('pending', 'see note')", "refuse",
                           ("'creatinine'", "line(s) 4, 11, 32", "'glucose'", "line(s) 7, 8", "na_values="),
                           fix=dict(na_values=["pending", "see note"]), truth=t))
    txt = _csv(base, ";", ",").decode()
    for i in (10, 11):  # two lactate cells with a decimal point in a decimal-comma file
        v = f"{base.lactate[i]:.1f}"
        row = txt.split("\n")[i + 1].split(";")
        row[base.columns.get_loc("lactate")] = v
        lines = txt.split("\n"); lines[i + 1] = ";".join(row); txt = "\n".join(lines)
    out.append(MessyExport("mixed_decimal_marks.csv", txt.encode(), "decimal commas with two cells using a decimal point", "refuse",
                           ("'lactate'", "line(s) 12, 13", "decimal mark")))
    w = pd.DataFrame({"stay": np.arange(1, n + 1), "weight_g": (base.sbp * 25).astype(int) + 1000, "died": base.died})
    out.append(MessyExport("thousands_ambiguous.csv", w.assign(weight_g=[f"{v:,}" for v in w.weight_g]).pipe(_csv, ";"),
                           "birth weights in grams with thousands groups ('3,250') in a semicolon file", "refuse",
                           ("decimal=','", "thousands=','"), fix=dict(thousands=","), truth=w))
    d = base.copy(); d.loc[7, "ward"] = "Cardiologie, 2e étage"
    out.append(MessyExport("unquoted_separator.csv", _csv(d).replace(b'"Cardiologie, 2e \xc3\xa9tage"', "Cardiologie, 2e étage".encode()),
                           "a comma inside a ward name, not quoted", "refuse", ("line 9",)))
    out.append(MessyExport("footer_note.csv", _csv(base) + b"Report generated by EHR export on 2024-05-01\n", "a note under the table",
                           "refuse", ("'stay'", f"line(s) {n + 2}")))
    out.append(MessyExport("empty.csv", b"", "an empty file", "refuse", ("is empty",)))
    out.append(MessyExport("header_only.csv", _csv(base.iloc[:0]), "a header and no rows", "refuse", ("header but no rows",)))
    return out

def _content_faults(base: pd.DataFrame, seed: int) -> list[MessyExport]:
    "Exports that read as they are but carry a fault for the preparation step (flagged, never silently used)."
    rng = np.random.default_rng(seed)
    z = base.assign(chol=0.0)
    dates = base.admit_date.copy()
    alt = rng.uniform(size=len(base)) < 0.4  # some rows as DD/MM/YYYY
    dates[alt] = pd.to_datetime(dates[alt]).dt.strftime("%d/%m/%Y")
    md = base.assign(admit_date=dates)
    return [MessyExport("all_zero_chol.csv", _csv(z), "cholesterol 0 in every row (a missing code)", "read", ("'chol'", "missing code"), truth=z),
            MessyExport("mixed_dates.csv", _csv(md), "admission dates in two formats", "read", truth=md)]

def messy_exports(seed: int = 0,  # seed of the rows and faults
                 ) -> dict[str, MessyExport]:
    "The whole bench of generated exports, by file name."
    base = clean_site_frame(seed)
    return {e.name: e for e in [*_format_faults(base), *_value_faults(base), *_content_faults(base, seed)]}

# %% ../nbs/01b_prepare.ipynb #a36cf0ae
REGIONS = {"H01": "North", "H02": "North", "H03": "South", "H04": "South", "H05": "East", "H06": "East", "H07": "North", "H08": "South"}

def icu_extract(seed: int = 0,  # seed of the rows and faults
                sizes: tuple = (300, 250, 200, 200, 150, 120, 12, 8),  # patients per hospital H01, H02, ...
               ) -> MessyExport:
    "A raw multi-hospital extract for `prepare`; `truth` is the table as read with `fix` (ages top-coded at 89)."
    g = generate_hospital_frame(len(sizes), seed=seed, n_rows=list(sizes))
    rng = np.random.default_rng(seed + 1)
    n = len(g)
    hosp = np.array([f"H{int(str(s)[-2:]) + 1:02d}" for s in g.site])
    t = pd.DataFrame({"hospital_id": hosp, "region": [REGIONS[h] for h in hosp],
                      "patient_id": rng.choice(10**6, n, replace=False), "stay_id": np.arange(50001, 50001 + n),
                      "admit_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))]})
    t = pd.concat([t, g.drop(columns=["site", "readmit_30d"]).reset_index(drop=True)], axis=1)
    t["admission_type"] = t.admission_type.astype(str)
    t["chol"] = np.where(hosp == "H03", 0.0, rng.normal(200, 35, n).round(1))
    old = rng.choice(n, max(3, n // 40), replace=False)
    t.loc[old, "age"] = 89.0  # after reading with censored={'age': 'bound'}
    t["status"] = np.where(g.readmit_30d.to_numpy() == 1, "readmitted", "not readmitted").astype(object)
    t.loc[rng.uniform(size=n) < 0.06, "status"] = None
    t.loc[rng.uniform(size=n) < 0.02, "status"] = "unknown"
    t.loc[rng.uniform(size=n) < 0.02, "hospital_id"] = None
    f = t.astype({"age": object})
    f.loc[old, "age"] = "> 89"
    return MessyExport("icu_extract.csv", _csv(f), "a raw multi-hospital extract", "refuse", ("'age'", "censored="),
                       fix=dict(censored={"age": "bound"}), truth=t)

def write_messy_exports(folder: str | Path,  # where to write the files
                        seed: int = 0,  # seed of the rows and faults
                       ) -> dict[str, Path]:
    "Write the bench (and the ICU extract) to a folder; returns the paths by file name."
    folder = Path(folder); folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for e in [*messy_exports(seed).values(), icu_extract(seed)]:
        (folder / e.name).write_bytes(e.data); out[e.name] = folder / e.name
    return out