"""DP-SGD speed on W3's setting (1,000 sites x 100 rows, 80 of them training; logistic regression, 20 features):
fhai_nb's batched DP-SGD against (a) the same batched training without privacy (the vectorised executor's
`train_stacked` with the engine's shuffled batches of `--batch` rows) and (b) Opacus' PrivacyEngine looping over the
same sites (one module, optimizer and Poisson DataLoader per site).

One local epoch per site per round: DP-SGD with expected batch `--batch` (q = batch / rows, ceil(1/q) steps; the
non-private run takes ceil(rows / batch) steps), sigma 1.0, clip 1.0, lr 0.1, SGD.
Every timing is the minimum of `--repeats` runs, one torch thread, all engines in this one process.
Opacus is timed on `--opacus-sites` sites and scaled linearly to 1,000 (it is a per-site loop: its time is
proportional to the number of sites). Run: python benchmarks/dp_sgd_speed.py [--rounds 3] [--opacus-sites 100]
"""
import argparse, json, os, platform, time, warnings
import numpy as np
import torch

from fhai_nb.dp import poisson_plan, train_dp_stacked
from fhai_nb.engine import batch_plan
from fhai_nb.learners import LogisticRegression, get_params
from fhai_nb.vectorised import train_stacked


def data(S, N, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(S, N, d, generator=g)
    w = torch.randn(d, generator=g)
    y = ((X @ w + torch.randn(S, N, generator=g)) > 0).float()
    return X, y


def batched(S, N, d, rounds, dp, B):
    X, y = data(S, N, d)
    m0 = LogisticRegression().init(d, seed=0)
    P = {k: v.unsqueeze(0).repeat(S, *[1] * v.dim()) for k, v in get_params(m0).items()}
    sites = np.arange(S)
    t0 = time.perf_counter()
    for r in range(1, rounds + 1):
        if dp:
            q = B / N
            plan = poisson_plan(0, r, sites, np.full(S, N), q, int(np.ceil(1 / q - 1e-9)))
            P, _ = train_dp_stacked(m0, P, X, y, plan, 1.0, 1.0, 0.1, 0, r, sites)
        else:
            idx, mask, _ = batch_plan(0, r, sites, np.full(S, N), B, epochs=1)
            P, _ = train_stacked(m0, P, X, y, idx, mask, 0.1)
    return time.perf_counter() - t0


def opacus_loop(S, N, d, rounds, B):
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset
    X, y = data(S, N, d)
    start = get_params(LogisticRegression().init(d, seed=0))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(rounds):
            for s in range(S):
                model = torch.nn.Linear(d, 1)
                with torch.no_grad():
                    model.weight.copy_(start["weight"]); model.bias.copy_(start["bias"])
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                dl = DataLoader(TensorDataset(X[s], y[s]), batch_size=B)
                model, opt, dl = PrivacyEngine().make_private(module=model, optimizer=opt, data_loader=dl, noise_multiplier=1.0,
                                                              max_grad_norm=1.0, poisson_sampling=True)
                for xb, yb in dl:
                    if len(xb) == 0: continue
                    opt.zero_grad()
                    z = model(xb).reshape(-1)
                    torch.nn.functional.binary_cross_entropy_with_logits(z, yb).backward()
                    opt.step()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=80, help="training rows per site (W3: 80 of 100)")
    ap.add_argument("--batch", type=int, default=32, help="(expected) batch size (W3: 32)")
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--opacus-sites", type=int, default=100)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    S, N, d = a.sites, a.rows, a.features
    B = a.batch
    batched(50, N, d, 1, True, B); batched(50, N, d, 1, False, B); opacus_loop(2, N, d, 1, B)  # warm-up (imports, first calls)
    t_dp, t_plain = [], []
    for _ in range(a.repeats):  # interleaved, so that both see the same machine load
        t_dp.append(batched(S, N, d, a.rounds, True, B)); t_plain.append(batched(S, N, d, a.rounds, False, B))
    t_dp, t_plain = min(t_dp), min(t_plain)
    t_op = min(opacus_loop(a.opacus_sites, N, d, a.rounds, B) for _ in range(max(1, a.repeats - 1))) * S / a.opacus_sites
    res = dict(sites=S, rows=N, features=d, batch=B, rounds=a.rounds, dp_steps_per_round=int(np.ceil(N / B - 1e-9)),
               plain_steps_per_round=int(-(-N // B)), torch_threads=1,
               batched_dp_s=round(t_dp, 3), batched_plain_s=round(t_plain, 3), opacus_loop_s_scaled=round(t_op, 2),
               opacus_sites_timed=a.opacus_sites, dp_over_plain=round(t_dp / t_plain, 2), opacus_over_dp=round(t_op / t_dp, 1),
               load_1m=os.getloadavg()[0], cpus=os.cpu_count(), python=platform.python_version(), torch=torch.__version__)
    print(json.dumps(res, indent=1))
    if a.out:
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
