"Accounting tests: epsilon equals Opacus' accountants, noise for a target epsilon, the per-site ledger and budget, bad input."
import math
import pytest
from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.utils import get_noise_multiplier

from fhai_nb.accounting import BudgetExhausted, PrivacyLedger, epsilon_for, epsilon_of, noise_for
from fhai_nb.core import DisclosureError, FhaiError


@pytest.mark.parametrize("sigma,q,steps,delta", [(1.1, 0.05, 100, 1e-5), (0.8, 0.01, 500, 1e-6), (2.0, 1.0, 10, 1e-5)])
@pytest.mark.parametrize("name,cls", [("rdp", RDPAccountant), ("prv", PRVAccountant)])
def test_epsilon_equals_opacus(sigma, q, steps, delta, name, cls):
    acc = cls()
    for _ in range(steps): acc.step(noise_multiplier=sigma, sample_rate=q)
    assert epsilon_for(sigma, q, steps, delta, name) == pytest.approx(acc.get_epsilon(delta), rel=1e-9)


def test_reference_point_from_toolchain():
    assert epsilon_for(1.1, 0.05, 100, 1e-5, "rdp") == pytest.approx(3.31, abs=0.005)
    assert epsilon_for(1.1, 0.05, 100, 1e-5, "prv") == pytest.approx(2.90, abs=0.005)


def test_mixed_history_equals_opacus_step_by_step():
    acc = RDPAccountant()
    for s, q, n in [(1.0, 0.02, 30), (1.5, 0.1, 20), (1.0, 0.02, 5)]:
        for _ in range(n): acc.step(noise_multiplier=s, sample_rate=q)
    assert epsilon_of([(1.0, 0.02, 30), (1.5, 0.1, 20), (1.0, 0.02, 5)], 1e-5) == pytest.approx(acc.get_epsilon(1e-5), rel=1e-9)


def test_noise_for_target_matches_opacus_and_lands_below_target():
    s = noise_for(2.0, 1e-5, 0.02, 300, "rdp")
    assert s == get_noise_multiplier(target_epsilon=2.0, target_delta=1e-5, sample_rate=0.02, steps=300)
    assert 1.99 <= epsilon_for(s, 0.02, 300) <= 2.0


def test_ledger_rows_and_budget_refusal_leaves_no_trace():
    led = PrivacyLedger(delta=1e-5, budget=2.0)
    rows = led.record(1, ["a", "b"], 1.5, 0.1, 20)
    assert list(rows.site) == ["a", "b"] and rows.epsilon.iloc[0] == pytest.approx(epsilon_for(1.5, 0.1, 20))
    with pytest.raises(BudgetExhausted, match=r"stop training these sites") as e:
        led.record(2, ["a"], 1.5, 0.1, 500)
    assert isinstance(e.value, DisclosureError)
    assert len(led.frame) == 2 and led.histories["a"] == ((1.5, 0.1, 20),)
    assert led.allowed(["a", "b"], 1.5, 0.1, 1).all() and not led.allowed(["a"], 1.5, 0.1, 500).any()
    state = led.state_dict(); other = PrivacyLedger(budget=2.0); other.load_state_dict(state)
    assert other.epsilon("a") == led.epsilon("a")


def test_no_noise_is_infinite_epsilon_and_bad_input():
    assert epsilon_for(0.0, 0.1, 5) == math.inf
    for bad in (0, 1, -0.1, 2.0, float("nan")):
        with pytest.raises(FhaiError, match=r"delta must be in \(0, 1\)"): epsilon_for(1.0, 0.1, 5, delta=bad)
    with pytest.raises(FhaiError, match="target_epsilon must be a positive number"): noise_for(0.0, 1e-5, 0.1, 10)
    with pytest.raises(FhaiError, match="budget must be a positive number"): PrivacyLedger(budget=-1)
    with pytest.raises(FhaiError, match="sample_rate"): epsilon_for(1.0, 1.5, 5)
    with pytest.raises(FhaiError, match="accountant"): PrivacyLedger(accountant="gdp")
