"Learner tests: built modules, seeds, output-shape checks, spec round trips, the loss."
import pytest
import torch
import torch.nn as nn

from fhai_nb.core import FhaiError
from fhai_nb.learners import MLP, LogisticRegression, TorchModel, as_model, bce_loss, check_module, get_params, set_params


@pytest.mark.parametrize("spec", [LogisticRegression(), MLP((16, 8), "gelu"), MLP(4, dropout=0.2),
                                  TorchModel(lambda n: nn.Sequential(nn.Linear(n, 3), nn.Tanh(), nn.Linear(3, 1)))])
def test_models_emit_one_logit_per_row_and_depend_on_seed_only(spec):
    a, b = spec.init(11, seed=4), spec.init(11, seed=4)
    assert a(torch.randn(7, 11)).shape == (7, 1)
    for (k, p), (_, q) in zip(a.named_parameters(), b.named_parameters()): assert torch.equal(p, q), k
    c = spec.init(11, seed=5)
    assert any(not torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_init_leaves_global_rng_alone():
    torch.manual_seed(0); x = torch.rand(3)
    torch.manual_seed(0); LogisticRegression().init(5, seed=99); y = torch.rand(3)
    assert torch.equal(x, y)


def test_output_shape_checks():
    with pytest.raises(FhaiError, match=r"outputs shape \(2, 2\)"):
        TorchModel(lambda n: nn.Linear(n, 2)).init(4)
    with pytest.raises(FhaiError, match=r"outputs shape \(2,\)"):
        TorchModel(lambda n: nn.Sequential(nn.Linear(n, 1), nn.Flatten(0))).init(4)
    with pytest.raises(FhaiError, match="must take 4 inputs"):
        TorchModel(lambda n: nn.Linear(9, 1)).init(4)
    with pytest.raises(FhaiError, match="not a torch.nn.Module"):
        TorchModel(lambda n: "model").init(4)
    with pytest.raises(FhaiError, match="no trainable parameters"):
        check_module(nn.Linear(4, 1).requires_grad_(False), 4)


def test_specs_round_trip_and_bad_options():
    for spec in (LogisticRegression(), MLP((5, 3), "tanh", 0.1)):
        assert as_model(spec.to_dict()) == spec
    assert as_model("mlp") == MLP()
    f = lambda n: nn.Linear(n, 1)
    assert isinstance(as_model(f), TorchModel)
    for bad, msg in [("svm", "unknown model"), (dict(name="mlp", layers=2), r"no option\(s\) \['layers'\]"), (3, "model must be"),
                     (dict(name="logreg", C=1.0), "takes no options")]:
        with pytest.raises(FhaiError, match=msg): as_model(bad)
    for kw, msg in [(dict(hidden=()), "positive integers"), (dict(activation="swish"), "use one of"), (dict(dropout=1.0), "dropout must be")]:
        with pytest.raises(FhaiError, match=msg): MLP(**kw)


def test_bce_loss_matches_torch_and_params_round_trip():
    z, y = torch.randn(40, 1) * 8, (torch.rand(40) > 0.4).float()
    torch.testing.assert_close(bce_loss(z, y), nn.functional.binary_cross_entropy_with_logits(z.reshape(-1), y))
    m = MLP((3,)).init(2, 0)
    p = {k: v + 1 for k, v in get_params(m).items()}
    set_params(m, p)
    for k, v in m.named_parameters(): assert torch.equal(v.detach(), p[k])
