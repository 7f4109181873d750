"Strategy tests: aggregation rules against hand computation, list and stacked inputs agree, options are checked."
import math
import numpy as np
import pytest
import torch

from fhai_nb.core import FhaiError, Update
from fhai_nb.engine import as_update_batch
from fhai_nb.strategies import (STRATEGIES, Cyclic, Ditto, FedAdagrad, FedAdam, FedAvg, FedMedian, FedProx, FedYogi, Krum,
                                Scaffold, TrimmedMean, as_strategy)


def U(site, n, **p):
    return Update(site, n, {k: torch.tensor(v, dtype=torch.float64) for k, v in p.items()})


G = {"w": torch.tensor([0.5, -0.5], dtype=torch.float64), "b": torch.tensor([1.0], dtype=torch.float64)}
UPS = [U("a", 10, w=[1.0, 2.0], b=[0.0]), U("b", 30, w=[-1.0, 0.0], b=[3.0]), U("c", 60, w=[0.5, 0.5], b=[-1.0])]


def test_fedavg_aggregate_is_the_hand_computed_weighted_mean():
    out = FedAvg().aggregate(1, G, UPS)
    # weights 0.1, 0.3, 0.6
    w = [0.5 + 0.1 * 1 + 0.3 * -1 + 0.6 * 0.5, -0.5 + 0.1 * 2 + 0.3 * 0 + 0.6 * 0.5]
    b = [1.0 + 0.1 * 0 + 0.3 * 3 + 0.6 * -1]
    torch.testing.assert_close(out["w"], torch.tensor(w, dtype=torch.float64), rtol=0, atol=1e-12)
    torch.testing.assert_close(out["b"], torch.tensor(b, dtype=torch.float64), rtol=0, atol=1e-12)


@pytest.mark.parametrize("strategy", [FedAvg(), FedMedian(), TrimmedMean(beta=0.34), Krum(f=0, m=2), FedProx(mu=1.0)])
def test_list_and_stacked_updates_aggregate_the_same(strategy):
    a = strategy.aggregate(1, G, UPS)
    b = strategy.aggregate(1, G, as_update_batch(UPS))
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-12)


def test_fedopt_two_rounds_by_hand():
    d1, d2 = 0.4, -0.2
    for cls in (FedAdam, FedYogi, FedAdagrad):
        s = cls(server_lr=0.1, beta1=0.9, beta2=0.99, tau=1e-3)
        s.setup(["a"], {"a": 5}, {"w": torch.zeros(1, dtype=torch.float64)})
        x = torch.zeros(1, dtype=torch.float64)
        m = v = 0.0
        for d in (d1, d2):
            x = s.aggregate(1, {"w": x}, [U("a", 5, w=[d])])["w"]
            m = 0.9 * m + 0.1 * d
            if cls is FedAdam: v = 0.99 * v + 0.01 * d * d
            elif cls is FedAdagrad: v = v + d * d
            else: v = v - 0.01 * d * d * math.copysign(1.0, v - d * d) if v != d * d else v
            ref = (ref if d is d2 else 0.0) + 0.1 * m / (math.sqrt(v) + 1e-3)
        assert math.isclose(float(x), ref, rel_tol=1e-10), cls


def test_scaffold_server_variate_uses_all_sites_sizes():
    s = Scaffold(server_lr=0.5)
    s.setup(["a", "b", "c"], {"a": 10, "b": 30, "c": 60}, {"w": torch.zeros(1, dtype=torch.float64)})
    ups = [U("a", 10, w=[1.0]), U("b", 30, w=[2.0])]  # c did not take part
    ups[0].extras["delta_c"] = {"w": torch.tensor([1.0], dtype=torch.float64)}
    ups[1].extras["delta_c"] = {"w": torch.tensor([-1.0], dtype=torch.float64)}
    out = s.aggregate(1, {"w": torch.zeros(1, dtype=torch.float64)}, ups)
    assert math.isclose(float(out["w"]), 0.5 * (0.25 * 1 + 0.75 * 2))
    assert math.isclose(float(s.c["w"]), 0.1 * 1 - 0.3 * 1)  # n_i / N over the whole federation
    with pytest.raises(FhaiError, match="without control-variate deltas"):
        s.aggregate(2, {"w": torch.zeros(1, dtype=torch.float64)}, [U("a", 10, w=[1.0])])


def test_robust_rules_ignore_an_outlier():
    ups = [U(s, 1, w=[v, -v]) for s, v in zip("abcdefg", [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 500.0])]
    z = {"w": torch.zeros(2, dtype=torch.float64)}
    for s in (FedMedian(), TrimmedMean(beta=0.15), Krum(f=1), Krum(f=1, m=3)):
        out = s.aggregate(1, z, ups)["w"]
        assert abs(float(out[0]) - 1.0) < 0.1, s
    assert float(FedAvg().aggregate(1, z, ups)["w"][0]) > 50
    # median of an even count is the mean of the two middle values
    assert float(FedMedian().combine([U("a", 1, w=[1.0]), U("b", 1, w=[3.0])])["w"]) == 2.0


def test_krum_picks_the_most_central_update():
    ups = [U("a", 1, w=[0.0]), U("b", 1, w=[0.1]), U("c", 1, w=[0.2]), U("d", 1, w=[5.0]), U("e", 1, w=[-5.0])]
    assert float(Krum(f=1).combine(ups)["w"]) == pytest.approx(0.1)
    assert Krum(f=2).min_sites_needed() == 7


def test_configure_samples_fraction_and_minimum():
    names = [f"s{i}" for i in range(20)]
    sel = FedAvg(fraction=0.25).configure(1, names, np.random.default_rng(0))
    assert len(sel) == 5 and len({s for s, _ in sel}) == 5
    assert len(FedAvg(fraction=0.01, min_sites=3).configure(1, names, np.random.default_rng(0))) == 3
    assert FedAvg(fraction=0.3).configure(2, names, np.random.default_rng(5)) == FedAvg(fraction=0.3).configure(2, names, np.random.default_rng(5))
    assert [s for s, _ in FedAvg().configure(1, names, np.random.default_rng(0))] == names


def test_cyclic_visits_every_site_once_per_cycle_in_a_fresh_order():
    names = list("abcde")
    c = Cyclic(); c.setup(names, {n: 1 for n in names}, {})
    visits = [c.configure(r, names, np.random.default_rng(r))[0][0] for r in range(1, 21)]
    cycles = [visits[i:i + 5] for i in range(0, 20, 5)]
    assert all(sorted(cy) == names for cy in cycles)
    assert len({tuple(cy) for cy in cycles}) > 1  # reshuffled


def test_task_overrides():
    assert FedProx(mu=0.3).task(1, "a") == {"prox_mu": 0.3}
    assert Ditto(lam=2.0).task(1, "a") == {"lam": 2.0}  # the instruction the site half reads
    s = Scaffold(); s.setup(["a"], {"a": 1}, {"w": torch.zeros(2)})
    assert s.task(1, "a")["control"] is s.c


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_round_trips_and_checks_its_options(name):
    s = as_strategy(name)
    assert as_strategy(s.to_dict()) == s
    with pytest.raises(FhaiError, match=r"has no option\(s\) \['nonsense'\]; valid options are \["):
        as_strategy(name, nonsense=1)


def test_bad_option_values():
    for bad in (dict(fraction=0), dict(fraction=1.01), dict(fraction=float("nan")), dict(min_sites=0), dict(min_sites=1.5)):
        with pytest.raises(FhaiError, match="must be"): FedAvg(**bad)
    with pytest.raises(FhaiError, match="beta must be"): TrimmedMean(beta=0.5)
    with pytest.raises(FhaiError, match="f must be"): Krum(f=-1)
    with pytest.raises(FhaiError, match="server_lr must be"): Scaffold(server_lr=0)
    with pytest.raises(FhaiError, match="unknown strategy"): as_strategy("fedbuff")


def test_state_dict_round_trip():
    s = FedAdam(); s.setup(["a"], {"a": 3}, {"w": torch.zeros(2, dtype=torch.float64)})
    s.aggregate(1, {"w": torch.zeros(2, dtype=torch.float64)}, [U("a", 3, w=[1.0, 2.0])])
    t = FedAdam(); t.load_state_dict(s.state_dict())
    for k in ("m", "v"): torch.testing.assert_close(getattr(t, k)["w"], getattr(s, k)["w"])


# ---------------------------------------------------------------- the site half
def test_site_half_of_each_strategy():
    "prepare/finish: FedAvg changes nothing, FedProx pulls toward the global model, SCAFFOLD starts every c_i at zero and corrects by c - c_i."
    from fhai_nb.protocol import TaskBatch, UpdateBatch
    from fhai_nb.strategies import SiteState
    params = {"w": torch.tensor([1.0, -2.0], dtype=torch.float64)}  # non-zero: c_i must not start at the parameters
    g32 = {"w": params["w"].float()}
    st = SiteState(3, lr=0.1)
    st.sel = np.array([0, 2])
    for s in (FedAvg(), FedProx(mu=0.3), Scaffold()):
        s.setup(["a", "b", "c"], {"a": 1, "b": 1, "c": 2}, params); s.init_sites(st, params)
    task = lambda s: TaskBatch(1, ["a", "c"], g32, [s.task(1, "a"), s.task(1, "c")])
    f = FedAvg(); assert f.prepare(task(f), st) == {}
    p = FedProx(mu=0.3); obj = p.prepare(task(p), st)
    assert obj["prox_mu"].tolist() == [0.3, 0.3] and obj["prox_center"] is not None and torch.equal(obj["prox_center"]["w"], g32["w"])
    sc = Scaffold(); sc.setup(["a", "b", "c"], {"a": 1, "b": 1, "c": 2}, params)
    assert torch.equal(st.values["c_i"]["w"], torch.zeros(3, 2, dtype=torch.float64))
    assert torch.equal(sc.prepare(task(sc), st)["correction"]["w"], torch.zeros(2, 2))
    ub = UpdateBatch(["a", "c"], [1, 2], {"w": torch.tensor([[0.2, 0.0], [0.0, -0.4]], dtype=torch.float64)}, {"steps": np.array([2.0, 4.0])})
    out = sc.finish(task(sc), st, ub)
    expect = -ub.stacked["w"] / (torch.tensor([[2.0], [4.0]], dtype=torch.float64) * 0.1)
    assert torch.allclose(out.extras["delta_c"]["w"], expect) and torch.allclose(st.values["c_i"]["w"][[0, 2]], expect)
    assert torch.equal(st.values["c_i"]["w"][1], torch.zeros(2, dtype=torch.float64))  # a site that did not train keeps its c_i
