"""The five GMM MFM workloads of bench/gmm_onnx.ts in PyTorch (CPU), for a side-by-side run.

Prints one JSON line {workload: steps/s}. Same network (MLP on x̄, x_t and Fourier embeddings
of s, u, t; 4 hidden layers of 256 with SiLU; ≈224k parameters), batch, losses and Adam.
"""
import argparse
import json
import math
import time

import torch
import torch.autograd.forward_ad as fwAD

p = argparse.ArgumentParser()
p.add_argument("--seconds", type=float, default=3.0)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
# mfm's onnx backend flushes denormals to zero; do the same here so the comparison is fair
torch.set_flush_denormal(True)
torch.manual_seed(0)

B, H, L, F, S, D = 1024, 256, 4, 16, 128, 16
freqs = torch.randn(1, F) * 2.0


def fourier(x):
    z = x.reshape(-1, 1) @ freqs * (2 * math.pi)
    return torch.cat([z.cos(), z.sin()], -1)


sizes = [2 + 2 + 3 * 2 * F] + [H] * L + [2]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.SiLU())
net = torch.nn.Sequential(*layers)


def v(xbar, xt, s, u, t):
    return net(torch.cat([xbar, xt, fourier(s), fourier(u), fourier(t)], -1))


def X(x, xt, s, u, t):
    return x + (u - s).reshape(-1, 1) * v(x, xt, s, u, t)


x0, x1, xt = torch.randn(B, 2), torch.randn(B, 2), torch.randn(B, 2)
s, u, t = torch.rand(B), torch.rand(B), torch.rand(B)
m = (s + u) / 2
opt = torch.optim.Adam(net.parameters(), lr=1e-4)


def train(loss_fn):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def fm():
    xs = x0 + s.reshape(-1, 1) * (x1 - x0)
    return (v(xs, xt, s, s, t) - (x1 - x0)).square().mean()


def semigroup():
    with torch.no_grad():
        target = X(X(x0, xt, s, m, t), xt, m, u, t)
    return (X(x0, xt, s, u, t) - target).square().mean()


def mean_flow():
    vel = x1 - x0
    xs = x0 + s.reshape(-1, 1) * vel
    with fwAD.dual_level():
        out = v(fwAD.make_dual(xs, vel), xt, fwAD.make_dual(s, torch.ones(B)), u, t)
        primal, tangent = fwAD.unpack_dual(out)
    target = (vel - (u - s).reshape(-1, 1) * tangent).detach()
    return (primal - target).square().mean()


eps = torch.randn(S * D, 2)
states = torch.randn(S, 2)
tS = torch.rand(S * D)
A = torch.tensor([[1.2], [-0.8]])
zeros, ones = torch.zeros(S * D), torch.ones(S * D)


def steer():
    y = states.clone().requires_grad_(True)
    rep = y.reshape(S, 1, 2).expand(S, D, 2).reshape(S * D, 2)
    xhat = X(eps, rep, zeros, ones, tS)
    r = ((xhat @ A + 1).square() * (-1 / (2 * 0.2**2))).reshape(S, D)
    val = (torch.logsumexp(r, 1) - math.log(D)).sum()
    (g,) = torch.autograd.grad(val, y)
    return g.sum().item()


def forward():
    with torch.no_grad():
        return v(x0, xt, s, u, t).sum().item()


def measure(step):
    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start)


rates = {
    "a_forward": measure(forward),
    "b_flow_matching": measure(train(fm)),
    "c_semigroup": measure(train(semigroup)),
    "d_mean_flow": measure(train(mean_flow)),
    "e_steering": measure(steer),
}
print(json.dumps(rates))
