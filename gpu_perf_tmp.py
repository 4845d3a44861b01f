import sys, time, numpy as np
sys.path.insert(0, "benchmarks")
import numba_warp as wp
from bench_autodiff import integrate, springs
dev = "cuda:0"
rng = np.random.default_rng(0)
n = 1 << 22
def va():
    return wp.array(rng.standard_normal((n, 3)).astype(np.float32), dtype=wp.vec3, device=dev, requires_grad=True)
x, v, f = va(), va(), va()
im = wp.array(np.ones(n, np.float32), device=dev, requires_grad=True)
xo, vo = va(), va()
args = [x, v, f, im, 0.01]
def fwd(): wp.launch(integrate, n, inputs=args, outputs=[xo, vo], device=dev)
def bwd(): wp.launch(integrate, n, inputs=args, outputs=[xo, vo], adjoint=True, device=dev, adj_inputs=[x.grad, v.grad, f.grad, im.grad, None], adj_outputs=[xo.grad, vo.grad])
for name, fn in (("fwd", fwd), ("bwd", bwd)):
    fn(); wp.synchronize()
    t0 = time.perf_counter()
    for _ in range(50): fn()
    t1 = time.perf_counter(); wp.synchronize(); t2 = time.perf_counter()
    e0 = wp.Event(enable_timing=True); e1 = wp.Event(enable_timing=True)
    wp.record_event(e0)
    for _ in range(50): fn()
    wp.record_event(e1); wp.synchronize()
    print(name, "host per launch %.1f us" % ((t1 - t0) / 50 * 1e6), "total per launch %.1f us" % ((t2 - t0) / 50 * 1e6), "gpu per launch %.1f us" % (wp.get_event_elapsed_time(e0, e1) / 50 * 1e3))
