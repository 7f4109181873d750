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
