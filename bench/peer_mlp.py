# The MLP ODE rows of `npm run bench:peer`, run with the authors' PyTorch code (tksmatsubara/symplectic-adjoint-method):
# dy/dt = MLP(y), MLP D→W→W→D (tanh between layers), batch B, rk4 with `steps` fixed steps on [0, 1] (the
# authors' fixed-step solvers take one step per output interval, hence t = linspace(0, 1, steps + 1)),
# loss Σ y(1)², one forward + backward, float32 on $THREADS threads. Prints the BLAS line (peer_env.py), then one JSON line per gradient method:
# {"method", "ms"} (median of `reps` after one warm-up).
#   SAM_DIR=<peers dir> python3 peer_mlp.py D W B steps reps
import json, os, sys, time
sys.path.insert(0, os.environ['SAM_DIR'])
import torch
from torch_symplectic_adjoint import odeint, odeint_symplectic_adjoint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_env
peer_env.setup()
torch.manual_seed(0)
D, W, B, steps, reps = (int(a) for a in sys.argv[1:6])
net = torch.nn.Sequential(torch.nn.Linear(D, W), torch.nn.Tanh(), torch.nn.Linear(W, W), torch.nn.Tanh(), torch.nn.Linear(W, D))

class Field(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = net
    def forward(self, t, y):
        return self.net(y)

func = Field()
y0 = torch.randn(B, D)
t = torch.linspace(0., 1., steps + 1)

for name, fn in [('backprop', odeint), ('symplectic-adjoint', odeint_symplectic_adjoint)]:
    times = []
    for r in range(reps + 1):
        func.zero_grad()
        y = y0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        pred = fn(func, y, t, method='rk4')
        loss = pred[-1].pow(2).sum()
        loss.backward()
        dt = (time.perf_counter() - t0) * 1000
        if r > 0:
            times.append(dt)
    times.sort()
    print(json.dumps({'method': name, 'ms': times[len(times) // 2]}), flush=True)
