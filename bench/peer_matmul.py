# The matmul rows of `npm run bench:peer`: torch.matmul on float32 matrices, $THREADS threads (peer_env.py prints the BLAS first); for each "MxKxN"
# argument prints {"shape", "ms"} (median of `reps` after two warm-ups).
#   python3 peer_matmul.py reps 256x256x256 1024x256x256 ...
import json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_env
peer_env.setup()
torch.manual_seed(0)
reps = int(sys.argv[1])
for spec in sys.argv[2:]:
    M, K, N = (int(v) for v in spec.split('x'))
    a, b = torch.randn(M, K), torch.randn(K, N)
    times = []
    for r in range(reps + 2):
        t0 = time.perf_counter()
        c = a @ b
        dt = (time.perf_counter() - t0) * 1000
        if r >= 2:
            times.append(dt)
    times.sort()
    print(json.dumps({'shape': spec, 'ms': times[len(times) // 2]}), flush=True)
