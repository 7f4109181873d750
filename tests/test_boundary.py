"""The privacy boundary, checked from the code itself: coordinator-side functions take Aggregate (or Update) objects
only, and never call a site's `local_*` methods."""
import ast
import textwrap
import importlib
import inspect
import types
import typing
from collections.abc import Sequence as ABCSequence

import pandas as pd
import pytest

from fhai_nb.core import Aggregate, Update, Site, Federation

SCALARS = {int, float, str, bool, type(None)}
FORBIDDEN = {pd.DataFrame, pd.Series, Site, Federation}


def _hint_types(h):
    "Every concrete type mentioned in a type hint (unpacking unions, Optional, Sequence[...])."
    args = typing.get_args(h)
    origin = typing.get_origin(h)
    out = set()
    if origin in (typing.Union, types.UnionType): pass
    elif origin is not None: out.add(origin)
    elif isinstance(h, type): out.add(h)
    for a in args: out |= _hint_types(a)
    return out


def _local_calls(fn) -> list[str]:
    "Names of `local_*` attributes the function's source touches (calls or references)."
    src = inspect.getsource(inspect.unwrap(fn))
    tree = ast.parse(textwrap.dedent(src))
    names = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("local_")]
    names += [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id.startswith("local_")]
    names += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("local_")]
    return names


def _check_coordinator_fn(name, fn, data_types=(Aggregate,)):
    hints = typing.get_type_hints(inspect.unwrap(fn))
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    assert params, f"{name} takes no arguments"
    first = params[0]
    assert first.name in hints, f"{name}: its first parameter {first.name!r} has no annotation; annotate it as Sequence[Aggregate]"
    assert any(t in _hint_types(hints[first.name]) for t in data_types), f"{name}: first parameter is {hints[first.name]}, not aggregates"
    for p in params:
        assert p.name in hints, f"{name}: parameter {p.name!r} has no annotation"
        types = _hint_types(hints[p.name])
        assert not (types & FORBIDDEN), f"{name}: parameter {p.name!r} may receive {types & FORBIDDEN}: rows could reach the coordinator"
        allowed = SCALARS | set(data_types) | {list, tuple, ABCSequence, typing.Sequence}
        assert types <= allowed, f"{name}: parameter {p.name!r} annotated {hints[p.name]} is neither an aggregate nor a plain option"
    assert not _local_calls(fn), f"{name} calls {_local_calls(fn)}: coordinator code must not touch a site's rows"


ANALYTICS_MODULES = ("fhai_nb.analytics", "fhai_nb.preprocessing", "fhai_nb.harmonisation")  # they share analytics' registries


def test_analytics_coordinator_functions_take_aggregates_only():
    an = importlib.import_module("fhai_nb.analytics")
    for m in ANALYTICS_MODULES: importlib.import_module(m)
    assert len(an.COORDINATOR) >= 9, "the analytics modules should register their coordinator-side functions"
    assert {"preprocessing_state", "harmonisation_findings"} <= set(an.COORDINATOR)
    for name, fn in an.COORDINATOR.items():
        _check_coordinator_fn(name, fn)


@pytest.mark.parametrize("module", ANALYTICS_MODULES)
def test_analytics_module_reads_rows_only_site_side(module):
    "No analytics function outside the site-side registry touches `local_*`; the user-facing helpers only call Site.aggregate."
    an = importlib.import_module(module)
    site_side = set(importlib.import_module("fhai_nb.analytics").SITE_SIDE)
    for name, obj in vars(an).items():
        if getattr(obj, "__module__", None) != an.__name__ or name in site_side: continue
        if inspect.isfunction(obj):
            assert not _local_calls(obj), f"analytics.{name} touches {_local_calls(obj)} but is not marked @site_side"
        elif inspect.isclass(obj):
            for mname, m in vars(obj).items():
                if inspect.isfunction(m):
                    assert not _local_calls(m), f"analytics.{name}.{mname} touches {_local_calls(m)}"


def test_heterogeneity_coordinator_functions_take_aggregates_only():
    het = pytest.importorskip("fhai_nb.heterogeneity")
    reg = {n: f for n, f in vars(het).items() if getattr(f, "side", None) == "coordinator" and inspect.unwrap(f).__module__ == het.__name__}
    assert len(reg) >= 3, "the heterogeneity module should mark its coordinator-side functions with @coordinator"
    for name, fn in reg.items():
        _check_coordinator_fn(name, fn)
    for name, obj in vars(het).items():
        if inspect.isfunction(obj) and obj.__module__ == het.__name__:
            assert not _local_calls(obj), f"heterogeneity.{name} touches {_local_calls(obj)}"


def test_strategies_aggregate_only_updates():
    "Every strategy's aggregate() takes Update objects (never frames, sites or federations) and never reads rows."
    try:
        strat = importlib.import_module("fhai_nb.strategies")
    except ModuleNotFoundError:
        pytest.skip("fhai_nb.strategies is not there yet")
    classes = [c for c in vars(strat).values() if inspect.isclass(c) and c.__module__ == strat.__name__ and hasattr(c, "aggregate")]
    assert classes, "strategies defines no class with an aggregate() method"
    for cls in classes:
        for mname, m in vars(cls).items():
            if inspect.isfunction(m):
                assert not _local_calls(m), f"{cls.__name__}.{mname} touches {_local_calls(m)}: strategies are coordinator code"
        # an override may leave its annotations to the base class that declares the contract: use the nearest annotated one
        agg = next((k.__dict__["aggregate"] for k in cls.__mro__ if "aggregate" in k.__dict__
                    and typing.get_type_hints(k.__dict__["aggregate"])), cls.aggregate)
        hints = typing.get_type_hints(agg)
        for p in inspect.signature(agg).parameters.values():
            if p.name == "self" or p.name not in hints: continue
            types = _hint_types(hints[p.name])
            assert not (types & FORBIDDEN), f"{cls.__name__}.aggregate parameter {p.name!r} may receive {types & FORBIDDEN}"
        upd = [p for p in inspect.signature(agg).parameters if "update" in p]
        assert upd, f"{cls.__name__}.aggregate has no updates parameter"
        assert upd[0] in hints and Update in _hint_types(hints[upd[0]]), \
            f"{cls.__name__}.aggregate: annotate {upd[0]!r} as Sequence[Update] so the boundary is visible"
    src = inspect.getsource(strat)
    assert "local_frame" not in src, "fhai_nb.strategies mentions local_frame: strategies are coordinator code"


@pytest.mark.parametrize("module", ["fhai_nb.glm", "fhai_nb.survival"])
def test_statistics_modules_keep_the_boundary(module):
    "Federated GLM and survival: coordinator functions take aggregates only; only @site_side code reads rows."
    mod = importlib.import_module(module)
    an = importlib.import_module("fhai_nb.analytics")
    reg = {n: f for n, f in an.COORDINATOR.items() if inspect.unwrap(f).__module__ == mod.__name__}
    assert len(reg) >= 2, f"{module} should register its coordinator-side functions with analytics.coordinator"
    for name, fn in reg.items():
        _check_coordinator_fn(name, fn)
    site_side = {n for n, f in an.SITE_SIDE.items() if f.__module__ == mod.__name__}
    assert site_side, f"{module} should mark the code that reads rows with analytics.site_side"
    for name, obj in vars(mod).items():
        if getattr(obj, "__module__", None) != mod.__name__ or name in site_side: continue
        if inspect.isfunction(obj):
            assert not _local_calls(obj), f"{module}.{name} touches {_local_calls(obj)} but is not marked @site_side"
        elif inspect.isclass(obj):
            for mname, m in vars(obj).items():
                if inspect.isfunction(m) and m.__code__.co_filename == inspect.getfile(mod):  # dataclass-generated methods have no source
                    assert not _local_calls(m), f"{module}.{name}.{mname} touches {_local_calls(m)}"


def test_boundary_check_catches_a_violation():
    "The checks above can fail: a function that takes a frame or reads rows is caught."
    def peek(aggs: typing.Sequence[Aggregate], df: pd.DataFrame) -> float: return float(df.x.mean())
    def sneaky(aggs: typing.Sequence[Aggregate], site_name: str) -> int: return len(aggs[0].site.local_frame())
    with pytest.raises(AssertionError, match="rows could reach the coordinator"): _check_coordinator_fn("peek", peek)
    with pytest.raises(AssertionError, match="calls \\['local_frame'\\]"): _check_coordinator_fn("sneaky", sneaky)


# ---------------------------------------------------------------- the engine's coordinator loop
# The engine module is coordinator code: it holds the sites only as a `simulation.SimulatedSites` and talks to it through
# these members, which take and return protocol messages or released numbers (never rows).
SITES_API = {"fit", "evaluate", "personalise", "start", "names", "n_train", "report", "ledger", "state_dict", "load_state_dict",
             "num_threads", "has_personal", "personal_models",
             "budget_left"}  # budget_left: the names of sites whose DP budget allows another round (no rows)
# attributes that hold rows or row-derived tensors (a Site's frames, a SiteData's tensors, a runtime's store)
ROW_ATTRS = {"data", "X", "y", "X_test", "y_test", "X_val", "y_val", "y_true", "state", "module", "executor", "frame"}
# the site side: the only fhai_nb modules whose code reads rows (the engine may hand them the federation to build the sites)
SITE_SIDE_MODULES = {"fhai_nb.simulation", "fhai_nb.runtime", "fhai_nb.vectorised", "fhai_nb.analytics", "fhai_nb.data"}


def _engine_violations(src: str, loops=("run_federated", "coordinate_round"), build=("_check", "_build_sites")) -> list[str]:
    "Row access in coordinator source: `local_*`, row attributes, site-side imports used directly, `fed` used other than to build."
    tree = ast.parse(textwrap.dedent(src))
    out = [f"touches {n}" for n in _local_names(tree)]
    site_side_names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module and ("fhai_nb." + n.module.lstrip(".") if n.level else n.module) in SITE_SIDE_MODULES:
            site_side_names |= {a.asname or a.name for a in n.names}
    allowed_site_side = {"SimulatedSites", "site_data", "_make_preprocessor", "_training_federation", "_val_rows", "LocalTraining",
                         "SequentialExecutor", "Transform", "TransformContext", "ClipNorm", "Faults", "as_faults", "ATTACKS", "update_norm",
                         "site_metrics_from_logits", "LocalResult", "LocalTask", "SiteData", "batch_plan", "site_plan", "hash_keys",
                         "n_local_steps", "init_opt_state", "optimizer_step", "rng_for", "_CONFIGURE", "_VAL", "_pos_int", "vectorised"}
    out += [f"imports {x} from the site side" for x in sorted(site_side_names - allowed_site_side)]
    for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))):
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "sites" and n.attr not in SITES_API:
                out.append(f"reaches sites.{n.attr}")
            if isinstance(n, ast.Attribute) and n.attr in ROW_ATTRS and not (isinstance(n.value, ast.Name) and n.value.id in ("fed", "self", "o")):
                out.append(f"reaches .{n.attr}")
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in loops):
        building = {id(a) for c in ast.walk(fn) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in build for a in c.args}
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and n.id == "fed" and isinstance(n.ctx, ast.Load) and id(n) not in building:
                out.append("uses the federation in the loop (not only to build the sites)")
    return out


def _local_names(tree) -> list[str]:
    names = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("local_")]
    names += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("local_")]
    return names


def test_engine_coordinator_cannot_reach_a_row():
    "The engine module (run_federated's loop and its helpers) reads no row: only protocol messages and released numbers."
    eng = importlib.import_module("fhai_nb.engine")
    src = inspect.getsource(eng)
    assert _engine_violations(src) == []
    # the loop's messages are protocol types, and they carry no rows
    proto = importlib.import_module("fhai_nb.protocol")
    for cls in (proto.Task, proto.TaskBatch, proto.Update, proto.UpdateBatch, proto.ServerView):
        hints = typing.get_type_hints(cls.__init__)
        for name, h in hints.items():
            assert not (_hint_types(h) & FORBIDDEN), f"protocol.{cls.__name__}.{name} may carry {_hint_types(h) & FORBIDDEN}"
    # the coordinator-side helpers take released numbers, not frames or sites
    for name in ("_aggregate", "aggregate_rows", "_metric_rows", "fit_loss_rows", "coordinate_round", "_early_stop"):
        hints = typing.get_type_hints(getattr(eng, name))
        for p, h in hints.items():
            assert not (_hint_types(h) & FORBIDDEN), f"engine.{name} parameter {p!r} may receive {_hint_types(h) & FORBIDDEN}"


def test_protocol_is_numpy_only():
    "The messages import with numpy only: no pandas (rows come in frames), no torch at import."
    import subprocess, sys
    code = "import sys, fhai_nb.protocol; bad = [m for m in ('pandas', 'torch') if m in sys.modules]; assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_check_catches_a_planted_row_access():
    "The engine check can fail: a loop that reads a site's rows, or reaches into the simulated sites, is caught."
    import re
    eng_src = inspect.getsource(importlib.import_module("fhai_nb.engine"))
    line = re.search(r"\n( +)received = sites\.fit\(task\)", eng_src)
    assert line, "coordinate_round's `received = sites.fit(task)` line is gone; update this test"
    plant = lambda code: eng_src.replace(line.group(0), f"\n{line.group(1)}{code}{line.group(0)}", 1)
    found = _engine_violations(plant("peek = fed.sites[0].local_frame('train')"))
    assert "touches local_frame" in found and "uses the federation in the loop (not only to build the sites)" in found
    assert {"reaches sites.data", "reaches .X"} <= set(_engine_violations(plant("X0 = sites.data[0].X")))


# ---------------------------------------------------------------- one round for every coordinator
ROUND_STEPS = {"configure", "aggregate", "server", "after_aggregate", "TaskBatch", "ServerView", "as_update_batch"}


def _calls(fn) -> set[str]:
    "Names of the functions and methods `fn` calls."
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    return {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", None) for n in ast.walk(tree) if isinstance(n, ast.Call)}


def test_coordinators_share_one_round():
    "run_federated and flower.run_on_grid both run engine.coordinate_round, and neither repeats a step of it."
    eng, fl = importlib.import_module("fhai_nb.engine"), importlib.import_module("fhai_nb.flower")
    assert ROUND_STEPS <= _calls(eng.coordinate_round), "coordinate_round no longer runs every step of a round; update ROUND_STEPS"
    for fn in (eng.run_federated, fl.run_on_grid):
        called = _calls(fn)
        assert "coordinate_round" in called, f"{fn.__name__} does not run engine.coordinate_round"
        assert not called & ROUND_STEPS, f"{fn.__name__} repeats steps of coordinate_round: {sorted(called & ROUND_STEPS)}"


def test_flower_coordinator_reads_no_row():
    "The Flower coordinator (run_on_grid, its set-up, FlowerSites) holds no site object and touches no `local_*`."
    fl = importlib.import_module("fhai_nb.flower")
    fns = [fl.run_on_grid, fl._grid_setup] + [getattr(fl.FlowerSites, m) for m in ("_send", "_wait_nodes", "connect", "profiles", "fit", "evaluate")]
    for fn in fns:
        assert not _local_calls(fn), f"flower.{fn.__name__} touches {_local_calls(fn)}"
        names = {n.id for n in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn)))) if isinstance(n, ast.Name)}
        assert not names & {"Hospital", "Site", "Federation", "SimulatedSites", "site_data"}, f"flower.{fn.__name__} reaches {names & {'Hospital', 'Site', 'Federation'}}"
