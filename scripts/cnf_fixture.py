#!/usr/bin/env python3
"""Reference cases for @sympode/flows from the authors' PyTorch symplectic adjoint (float64, CPU).

An FFJORD-style CNF: a concat-squash net (FFJORD's ConcatSquashLinear, tanh between layers) with weights
drawn here, over the augmented state s = [z, delta, (E), (F)]:
  dz/dt = g(t, z), d delta/dt = -tr(dg/dz), dE/dt = |g|^2, dF/dt = |dg/dz|_F^2 (Hutchinson: |eps^T dg/dz|^2),
integrated over [0, T] from s(0) = [x, 0, ...]; log p(x) = log N(z(T)) - delta(T);
loss = -mean(log p(x)) + 0.1 mean(E) + 0.1 mean(F). Gradients of the loss with respect to x and every
parameter by odeint_symplectic_adjoint (and, for information, by backprop through torch's solve).

Run: SAM_DIR=../shared/peers /usr/bin/python3 scripts/cnf_fixture.py > test/fixtures/cnf-symplectic-adjoint-cases.json
(needs Debian's python3-torch and python3-numpy; see ../shared/peers/README.md).
"""
import json, math, os, sys

sys.path.insert(0, os.environ.get('SAM_DIR', os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'peers')))
import numpy as np
import torch
from torch_symplectic_adjoint import odeint, odeint_symplectic_adjoint

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


class ConcatSquashLinear(torch.nn.Module):
    """FFJORD's lib/layers/diffeq_layers/basic.py: layer(x) * sigmoid(hyper_gate(t)) + hyper_bias(t)."""

    def __init__(self, w):
        super().__init__()
        P = lambda a: torch.nn.Parameter(torch.tensor(a))
        self.lw, self.lb, self.hbw, self.hgw, self.hgb = (P(w[k]) for k in ('layer.weight', 'layer.bias', 'hyperBias.weight', 'hyperGate.weight', 'hyperGate.bias'))

    def forward(self, t, x):
        tt = t.reshape(1, 1).to(x)
        gate = torch.sigmoid(tt @ self.hgw.T + self.hgb)
        return (x @ self.lw.T + self.lb) * gate + tt @ self.hbw.T


class Net(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = torch.nn.ModuleList([ConcatSquashLinear(w) for w in layers])

    def forward(self, t, x):
        for i, l in enumerate(self.layers):
            x = l(t, x)
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x


class CnfFunc(torch.nn.Module):
    """The augmented field; the VJPs are taken inside with create_graph, as FFJORD's ODEfunc does."""

    def __init__(self, net, D, eps, kinetic, frob):
        super().__init__()
        self.net, self.D, self.eps, self.kinetic, self.frob = net, D, eps, kinetic, frob

    def forward(self, t, s):
        D = self.D
        with torch.enable_grad():
            z = s[:, :D]
            if not z.requires_grad:  # graph-free forward: a fresh leaf
                z = z.detach().requires_grad_(True)
            dz = self.net(t, z)
            if self.eps is None:
                cots = [torch.zeros_like(dz).index_fill_(1, torch.tensor([i]), 1.0) for i in range(D)]
            else:
                cots = [self.eps]
            vjps = [torch.autograd.grad(dz, z, c, create_graph=True)[0] for c in cots]
            if self.eps is None:
                tr = sum(v[:, i:i + 1] for i, v in enumerate(vjps))
            else:
                tr = (vjps[0] * self.eps).sum(1, keepdim=True)
            cols = [dz, -tr]
            if self.kinetic:
                cols.append((dz ** 2).sum(1, keepdim=True))
            if self.frob:
                cols.append(sum((v ** 2).sum(1, keepdim=True) for v in vjps))
            return torch.cat(cols, 1)


def draw_layers(rng, sizes):
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        b = 1 / math.sqrt(i)
        u = lambda *shape, bound=b: rng.uniform(-bound, bound, size=shape).tolist()
        layers.append({'layer.weight': u(o, i), 'layer.bias': u(o), 'hyperBias.weight': u(o, 1, bound=1.0),
                       'hyperGate.weight': u(o, 1, bound=1.0), 'hyperGate.bias': u(o, bound=1.0)})
    return layers


def run(case, solve):
    D, B = case['sizes'][0], len(case['x'])
    net = Net(case['layers'])
    eps = torch.tensor(case['eps']) if case['trace'] == 'hutchinson' else None
    kin, frob = case['regularizers']['kinetic'], case['regularizers']['jacobianFrobenius']
    func = CnfFunc(net, D, eps, kin, frob)
    x = torch.tensor(case['x'], requires_grad=True)
    extra = 1 + int(kin) + int(frob)
    s0 = torch.cat([x, torch.zeros(B, extra)], 1)
    t = torch.tensor([0.0, case['T']])
    ys = solve(func, s0, t, rtol=case['rtol'], atol=case['atol'], method=case['method'])
    sT = ys[-1]
    z, delta = sT[:, :D], sT[:, D]
    logp = -0.5 * (z ** 2).sum(1) - 0.5 * D * math.log(2 * math.pi) - delta
    loss = -logp.mean()
    col = D + 1
    if kin:
        loss = loss + 0.1 * sT[:, col].mean(); col += 1
    if frob:
        loss = loss + 0.1 * sT[:, col].mean()
    params = [p for l in net.layers for p in (l.lw, l.lb, l.hbw, l.hgw, l.hgb)]
    gx, *gp = torch.autograd.grad(loss, [x] + params)
    return {'loss': loss.item(), 'log_prob': logp.tolist(), 'z': z.tolist(), 'final_state': sT.tolist(),
            'grad_x': gx.tolist(), 'grad_params': [g.tolist() for g in gp]}


def main():
    rng = np.random.RandomState(0)
    sizes = [2, 8, 8, 2]
    cases = []
    for trace, reg in [('exact', {'kinetic': False, 'jacobianFrobenius': False}),
                       ('hutchinson', {'kinetic': True, 'jacobianFrobenius': True})]:
        B = 5
        case = {'sizes': sizes, 'activation': 'tanh', 'layers': draw_layers(rng, sizes), 'T': 0.5,
                'x': (rng.randn(B, 2) * 1.5).tolist(), 'eps': rng.randn(B, 2).tolist(), 'trace': trace,
                'regularizers': reg, 'method': 'dopri5', 'rtol': 1e-6, 'atol': 1e-8}
        case['reference'] = {'symplectic': run(case, odeint_symplectic_adjoint), 'backprop': run(case, odeint)}
        cases.append(case)
    json.dump({'description': __doc__.strip(), 'torch': torch.__version__, 'cases': cases}, sys.stdout)


if __name__ == '__main__':
    main()
