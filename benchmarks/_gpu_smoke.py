import time, sys, traceback
import numpy as np
import numba_warp as wp
print("cuda available", wp.is_cuda_available(), wp.get_cuda_devices(), wp.get_device())
dev = "cuda:0"
d = wp.get_device(dev)
print("name", d.name, "arch", d.arch)

@wp.struct
class Params:
    scale: float
    offset: wp.int32
    data: wp.array(dtype=float)

@wp.func
def f(x: float):
    return x * 2.0

@wp.kernel
def saxpy(a: float, x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = a * x[i] + y[i]

@wp.kernel
def k2(out: wp.array2d(dtype=float), p: Params, n: int):
    i, j = wp.tid()
    s = float(0.0)
    for t in range(n):
        if t == 3:
            continue
        if t > 6:
            break
        s += float(t)
    out[i, j] = p.scale * float(i * 10 + j) + float(p.offset) + p.data[j] + s + f(1.0) + float(7 / 2) + float(-7 % 3)

@wp.kernel
def hist(vals: wp.array(dtype=wp.int32), bins: wp.array(dtype=wp.int32), fb: wp.array(dtype=float), db: wp.array(dtype=wp.float64)):
    i = wp.tid()
    bins[vals[i] % 4] += 1
    wp.atomic_add(fb, vals[i] % 4, 0.5)
    wp.atomic_max(db, 0, wp.float64(vals[i]))
    wp.atomic_min(db, 1, wp.float64(vals[i]))

def check(name, fn):
    try:
        fn(); print("OK  ", name)
    except Exception:
        print("FAIL", name); traceback.print_exc()

def t_arrays():
    a = wp.array(np.arange(12, dtype=np.float32).reshape(3, 4), device=dev)
    assert np.array_equal(a.numpy(), np.arange(12).reshape(3, 4))
    b = wp.zeros((3, 4), dtype=float, device=dev); b.assign(a)
    assert np.array_equal(b.numpy(), a.numpy())
    c = wp.clone(a, device="cpu"); assert np.array_equal(c.numpy(), a.numpy())
    a[:, 1].fill_(7.0)
    ref = np.arange(12, dtype=np.float32).reshape(3, 4); ref[:, 1] = 7
    assert np.array_equal(a.numpy(), ref), a.numpy()
    t = a.transpose().contiguous(); assert np.array_equal(t.numpy(), ref.T)
    for dt, v in ((wp.float64, 2.5), (wp.int8, 3), (wp.int16, -2), (wp.int32, 7), (wp.uint64, 9)):
        z = wp.full((5,), v, dtype=dt, device=dev)
        assert np.all(z.numpy() == v), (dt, z.numpy())
    x = wp.array(np.arange(10, dtype=np.int32), device=dev)
    y = wp.empty(10, dtype=wp.int32, device=dev)
    wp.copy(y, x, dest_offset=2, src_offset=0, count=5)
    assert list(y.numpy()[2:7]) == [0, 1, 2, 3, 4]
    h = wp.zeros(10, dtype=wp.int32, device="cpu", pinned=True)
    wp.copy(h, x); wp.synchronize(); assert list(h.numpy()) == list(range(10))
    print("   cai", a.__cuda_array_interface__["shape"])

def t_saxpy():
    x = wp.array(np.arange(1000, dtype=np.float32), device=dev)
    y = wp.ones(1000, dtype=float, device=dev)
    wp.launch(saxpy, dim=1000, inputs=[2.0, x, y], device=dev)
    assert np.allclose(y.numpy(), 2 * np.arange(1000) + 1)

def t_k2():
    out = wp.zeros((3, 4), dtype=float, device=dev)
    p = Params(); p.scale = 1.0; p.offset = 5; p.data = wp.array(np.arange(4, dtype=np.float32), device=dev)
    wp.launch(k2, dim=(3, 4), inputs=[out, p, 10], device=dev)
    ref = np.array([[i*10+j+5+j+18+2+3-1 for j in range(4)] for i in range(3)])
    assert np.allclose(out.numpy(), ref), out.numpy() - ref

def t_hist():
    v = wp.array(np.arange(100000, dtype=np.int32), device=dev)
    b = wp.zeros(4, dtype=wp.int32, device=dev)
    fb = wp.zeros(4, dtype=float, device=dev)
    db = wp.array([-1e9, 1e9], dtype=wp.float64, device=dev)
    wp.launch(hist, dim=100000, inputs=[v, b, fb, db], device=dev)
    assert list(b.numpy()) == [25000] * 4, b.numpy()
    assert np.allclose(fb.numpy(), 12500), fb.numpy()
    assert list(db.numpy()) == [99999.0, 0.0], db.numpy()

def t_streams():
    s = wp.Stream(dev)
    e0 = wp.Event(dev, enable_timing=True); e1 = wp.Event(dev, enable_timing=True)
    x = wp.zeros(1 << 20, dtype=float, device=dev); y = wp.zeros(1 << 20, dtype=float, device=dev)
    with wp.ScopedStream(s):
        assert wp.get_stream(dev) is s
        wp.record_event(e0)
        wp.launch(saxpy, dim=x.size, inputs=[1.0, x, y], device=dev)
        wp.record_event(e1)
    print("   elapsed ms", wp.get_event_elapsed_time(e0, e1))
    wp.synchronize()

def t_interop():
    import torch
    a = wp.array(np.arange(6, dtype=np.float32), device=dev)
    t = torch.as_tensor(a, device="cuda")
    assert t.cpu().numpy().tolist() == list(range(6))
    tt = torch.arange(5, dtype=torch.float32, device="cuda")
    w = wp.array(tt, dtype=float, device=dev, copy=False)
    wp.launch(saxpy, dim=5, inputs=[1.0, w, w], device=dev)
    assert tt.cpu().tolist() == [0, 2, 4, 6, 8], tt

def t_overhead():
    xs = [wp.zeros(16, dtype=float, device=dev) for _ in range(4)]
    @wp.kernel
    def four(a: wp.array(dtype=float), b: wp.array(dtype=float), c: wp.array(dtype=float), d: wp.array(dtype=float)):
        i = wp.tid()
    wp.launch(four, dim=1, inputs=xs, device=dev); wp.synchronize()
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        wp.launch(four, dim=1, inputs=xs, device=dev)
    wp.synchronize()
    print("   launch us", (time.perf_counter() - t0) / n * 1e6)
    cmd = wp.launch(four, dim=1, inputs=xs, device=dev, record_cmd=True)
    t0 = time.perf_counter()
    for _ in range(n):
        cmd.launch()
    wp.synchronize()
    print("   record_cmd launch us", (time.perf_counter() - t0) / n * 1e6)

for name, fn in [("arrays", t_arrays), ("saxpy", t_saxpy), ("k2", t_k2), ("hist", t_hist), ("streams", t_streams), ("interop", t_interop), ("overhead", t_overhead)]:
    check(name, fn)
