# The PyTorch side's thread count and BLAS, shared by peer_matmul.py and peer_mlp.py: threads from $THREADS
# (default 1; the caller sets OPENBLAS_NUM_THREADS to the same), and one JSON line {"blas", "threads",
# "openblasThreads", "torch"} naming the BLAS library this process really loaded (found in /proc/self/maps
# after a product, since Debian's PyTorch calls whatever libblas.so.3 the alternatives point to).
import json, os
import torch

def setup():
    threads = int(os.environ.get('THREADS', '1'))
    torch.set_num_threads(threads)
    a = torch.randn(64, 64)
    a @ a
    blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and l.split()[-1].startswith('/')})
    print(json.dumps({'blas': blas, 'threads': torch.get_num_threads(), 'openblasThreads': os.environ.get('OPENBLAS_NUM_THREADS'),
                      'torch': torch.__version__}), flush=True)
    return threads
