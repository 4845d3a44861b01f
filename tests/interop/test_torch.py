"""wp.from_torch / wp.to_torch and the torch device, dtype and stream helpers (Warp 1.19's
names and meaning), on every device: memory and gradients are shared both ways, tensors
go straight into launches, a view keeps its producer alive, and what cannot be shared is
refused clearly."""

import gc

import numpy as np
import pytest

import numba_warp as wp

from .kernels import spread, square_sum

torch = pytest.importorskip("torch", reason="PyTorch (pip install torch) is the peer")


def _tdev(device):
    return wp.device_to_torch(device)




def test_memory_is_shared_both_ways_with_vector_dtypes(device):
    t = torch.arange(12, dtype=torch.float32, device=_tdev(device)).reshape(4, 3)
    a = wp.from_torch(t, dtype=wp.vec3)
    assert a.shape == (4,) and a.dtype == wp.vec3 and a.ptr == t.data_ptr()
    assert a.device == wp.get_device(device)
    a.fill_(wp.vec3(1.0, 2.0, 3.0))
    assert torch.equal(t.cpu(), torch.tensor([[1.0, 2.0, 3.0]] * 4))
    back = wp.to_torch(a)
    assert back.shape == (4, 3) and back.dtype == torch.float32
    assert back.data_ptr() == a.ptr
    back[1] = 7.0  # (torch writes, the array reads)
    np.testing.assert_array_equal(a.numpy()[1], [7.0, 7.0, 7.0])


def test_tensors_go_straight_into_launches(device):
    p = torch.arange(12, dtype=torch.float32, device=_tdev(device)).reshape(4, 3)
    out = torch.zeros(4, device=_tdev(device))
    wp.launch(spread, 4, inputs=[p, out], device=device)
    wp.synchronize_device(device)
    assert out.cpu().tolist() == [20.0, 53.0, 86.0, 119.0]  # NVIDIA Warp's figures
    assert torch.equal(p.cpu(), 2.0 * torch.arange(12.0).reshape(4, 3))


def test_gradients_are_shared_for_torch_optim(device):
    x = torch.tensor([1.0, -2.0, 3.0], device=_tdev(device), requires_grad=True)
    a = wp.from_torch(x)  # requires_grad follows the tensor: x.grad is allocated, shared
    assert a.requires_grad and x.grad is not None and a.grad.ptr == x.grad.data_ptr()
    loss = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(square_sum, 3, inputs=[a, loss], device=device)
    tape.backward(loss)
    assert x.grad.cpu().tolist() == [2.0, -4.0, 6.0]  # d(sum x^2)/dx, written by the tape
    opt = torch.optim.SGD([x], lr=0.25)
    opt.step()
    assert x.detach().cpu().tolist() == [0.5, -1.0, 1.5]
    w = wp.zeros(2, dtype=wp.vec3, device=device, requires_grad=True)
    w.grad.fill_(wp.vec3(1.0, 2.0, 3.0))
    tw = wp.to_torch(w)
    assert tw.requires_grad and tw.is_leaf and tw.grad.shape == (2, 3)
    assert tw.grad.cpu()[1].tolist() == [1.0, 2.0, 3.0]


def test_views_keep_their_producer_alive(device):
    t = torch.full((1000,), 3.0, device=_tdev(device))
    a = wp.from_torch(t)
    del t
    gc.collect()
    assert float(a.numpy().sum()) == 3000.0
    b = wp.full(1000, 5.0, dtype=float, device=device)
    tb = wp.to_torch(b)
    del b
    gc.collect()
    assert float(tb.sum()) == 5000.0


def test_dtypes_and_devices():
    assert wp.dtype_from_torch(torch.float16) is wp.float16
    assert wp.dtype_from_torch(torch.int64) is wp.int64
    assert wp.dtype_to_torch(wp.float64) is torch.float64
    assert wp.dtype_to_torch(wp.uint32) is torch.int32  # (as in Warp)
    assert wp.device_from_torch("cpu") == wp.get_device("cpu")
    assert wp.device_from_torch(torch.device("cpu")) == wp.get_device("cpu")
    assert wp.device_to_torch("cpu") == "cpu"
    with pytest.raises(TypeError, match="bfloat16"):
        wp.dtype_from_torch(torch.bfloat16)
    with pytest.raises(TypeError, match="complex64"):
        wp.from_torch(torch.zeros(3, dtype=torch.complex64))


def test_what_cannot_be_shared_is_refused():
    with pytest.raises(RuntimeError, match=r"float64.*vec3f.*float32"):
        wp.from_torch(torch.zeros(4, 3, dtype=torch.float64), dtype=wp.vec3)
    with pytest.raises(RuntimeError, match=r"need trailing dimensions \(3,\)"):
        wp.from_torch(torch.zeros(4, 2), dtype=wp.vec3)
    with pytest.raises(RuntimeError, match=r"apart in memory.*t.contiguous\(\)"):
        wp.from_torch(torch.zeros(3, 4).t(), dtype=wp.vec3)
    out = torch.zeros(4)
    with pytest.raises(Exception, match=r"argument 'p'.*holds float64"):
        wp.launch(spread, 4, inputs=[torch.zeros(4, 3, dtype=torch.float64), out],
                  device="cpu")
    with pytest.raises(Exception, match=r"argument 'out'.*holds bfloat16 values \(numba_warp "
                                        r"has no bfloat16 type\).*x.to\(torch.float32\)"):
        wp.launch(spread, 4, inputs=[torch.zeros(4, 3), out.to(torch.bfloat16)], device="cpu")
    with pytest.raises(Exception, match=r"argument 'out'.*holds complex64 values"):
        wp.launch(spread, 4, inputs=[torch.zeros(4, 3), out.to(torch.complex64)],
                  device="cpu")


def test_a_gpu_tensor_in_a_cpu_launch_is_refused(gpu_device):
    p = torch.zeros(4, 3, device=_tdev(gpu_device))
    with pytest.raises(Exception, match=r"argument 'p'.*is GPU memory.*t.cpu\(\)"):
        wp.launch(spread, 4, inputs=[p, torch.zeros(4)], device="cpu")
    with pytest.raises(Exception, match=r"argument 'out'.*is host memory.*launched on"):
        wp.launch(spread, 4, inputs=[p, torch.zeros(4)], device=gpu_device)


def test_launches_on_a_torch_stream_order_with_torch_work(gpu_device):
    s = torch.cuda.Stream(device=_tdev(gpu_device))
    x = torch.zeros(1 << 20, device=_tdev(gpu_device))
    loss = torch.zeros(1, device=_tdev(gpu_device))
    with torch.cuda.stream(s):
        x.fill_(1.0)  # queued on s
        with wp.ScopedStream(wp.stream_from_torch(s)):
            wp.launch(square_sum, x.shape[0], inputs=[x, loss], device=gpu_device)
    s.synchronize()
    assert float(loss.cpu()[0]) == float(1 << 20)
    ts = wp.stream_to_torch(gpu_device)
    assert ts.cuda_stream == wp.get_device(gpu_device).stream.cuda_stream


@wp.kernel
def sin_times(x: wp.array(dtype=float), w: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = wp.sin(x[i]) * w[i] + x[i] * x[i]


@wp.torch_function
def scaled_sin(x, w):
    y = wp.empty_like(x, requires_grad=True)
    wp.launch(sin_times, x.shape, inputs=[x, w], outputs=[y], device=x.device)
    return y


def _torch_twin(x, w):
    return torch.sin(x) * w + x * x


def test_torch_function_gradients_match_pure_torch(device):
    g = torch.Generator().manual_seed(0)
    x0, w0 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    got, want = [], []
    for impl, out in ((scaled_sin, got), (_torch_twin, want)):
        x = x0.clone().to(_tdev(device)).requires_grad_(True)
        w = w0.clone().to(_tdev(device)).requires_grad_(True)
        y = impl(x, w)
        (y * torch.linspace(-1.0, 1.0, 64, device=_tdev(device))).sum().backward()
        out += [y.detach().cpu(), x.grad.cpu(), w.grad.cpu()]
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_torch_optim_trains_through_a_kernel(device):
    # fit w so that sin(x) * w + x^2 hits a target: the same steps as pure torch
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, generator=g).to(_tdev(device))
    target = _torch_twin(x, torch.full((32,), 0.5, device=_tdev(device)))
    losses = {}
    for name, impl in (("numba_warp", scaled_sin), ("torch", _torch_twin)):
        w = torch.zeros(32, device=_tdev(device), requires_grad=True)
        opt = torch.optim.Adam([w], lr=0.05)
        trace = []
        for _ in range(60):
            opt.zero_grad()
            loss = (impl(x, w) - target).square().mean()
            loss.backward()
            opt.step()
            trace.append(float(loss.detach()))
        losses[name] = trace
    assert losses["numba_warp"][-1] < 0.05 * losses["numba_warp"][0]
    np.testing.assert_allclose(losses["numba_warp"], losses["torch"], rtol=1e-4, atol=1e-7)


def test_torch_function_results_must_be_arrays():
    @wp.torch_function
    def bad(x):
        return 3.0

    with pytest.raises(TypeError, match=r"torch_function\(bad\): result 0 is a float"):
        bad(torch.zeros(3))


def test_a_tensor_that_requires_grad_is_refused_where_its_gradient_would_be_lost(device):
    x = torch.tensor([1.0, 2.0, 3.0], device=_tdev(device), requires_grad=True)
    loss = torch.zeros(1, device=_tdev(device))
    refused = r"argument 'x'.*got Tensor, which requires grad.*wp.torch_function"
    with pytest.raises(Exception, match=refused):
        wp.launch(square_sum, 3, inputs=[x, loss], device=device)
    with torch.no_grad():  # no gradient wanted: said so
        wp.launch(square_sum, 3, inputs=[x, loss], device=device)
    wp.launch(square_sum, 3, inputs=[x.detach(), loss], device=device)
    with pytest.raises(Exception, match=refused):  # (not let through by a kept view)
        wp.launch(square_sum, 3, inputs=[x, loss], device=device)
    plain = torch.tensor([1.0, 2.0, 3.0], device=_tdev(device))
    wp.launch(square_sum, 3, inputs=[plain, loss], device=device)
    plain.requires_grad_(True)  # (the same object, now tracked by autograd)
    with pytest.raises(Exception, match=refused):
        wp.launch(square_sum, 3, inputs=[plain, loss], device=device)
    assert float(loss.cpu()[0]) == 3 * 14.0


# Warp's second documented pattern: kernels as torch custom operators (forward and
# backward each an opaque op), which torch.compile traces around
@torch.library.custom_op("numba_warp_tests::sin_times", mutates_args=())
def sin_times_op(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    y = torch.empty_like(x)
    wp.launch(sin_times, x.shape[0], inputs=[x, w], outputs=[y],
              device=wp.device_from_torch(x.device))
    return y


@torch.library.custom_op("numba_warp_tests::sin_times_bwd", mutates_args=())
def sin_times_bwd(x: torch.Tensor, w: torch.Tensor,
                  gy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    gx, gw, y = torch.zeros_like(x), torch.zeros_like(w), torch.empty_like(x)
    wp.launch(sin_times, x.shape[0], inputs=[x, w], outputs=[y], adj_inputs=[gx, gw],
              adj_outputs=[gy.contiguous()], adjoint=True,
              device=wp.device_from_torch(x.device))
    return gx, gw


sin_times_op.register_fake(lambda x, w: torch.empty_like(x))
sin_times_bwd.register_fake(lambda x, w, gy: (torch.empty_like(x), torch.empty_like(w)))
sin_times_op.register_autograd(
    lambda ctx, gy: sin_times_bwd(*ctx.saved_tensors, gy),
    setup_context=lambda ctx, inputs, output: ctx.save_for_backward(*inputs))


def test_kernels_as_torch_custom_ops_under_torch_compile(device):
    g = torch.Generator().manual_seed(2)
    x0, w0 = torch.randn(32, generator=g), torch.randn(32, generator=g)
    grads = []
    for impl in (torch.compile(lambda x, w: sin_times_op(x, w).square().sum(),
                               backend="aot_eager"),
                 lambda x, w: _torch_twin(x, w).square().sum()):
        x = x0.clone().to(_tdev(device)).requires_grad_(True)
        w = w0.clone().to(_tdev(device)).requires_grad_(True)
        impl(x, w).backward()
        grads.append((x.grad.cpu(), w.grad.cpu()))
    for got, want in zip(*grads):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
