"""The operator ``realize::realize``: registrations, opcheck, clone semantics on concrete inputs.

Hypothesis-driven properties live in ``realize/harness``; these are the fixed
cases the foundation promises, each compared against ``torch.clone``.
"""

from __future__ import annotations

import warnings

import pytest
import torch

import realize
from realize import barrier_op, realize_op
from realize.testing import bit_view

# Every property holds for both functions and both bare operators.
IMPLS = [realize.realize, realize_op, realize.barrier, barrier_op]
IMPL_IDS = ["realize", "realize-op", "barrier", "barrier-op"]
OPS = pytest.mark.parametrize("op", [realize_op, barrier_op], ids=["realize", "barrier"])

OPCHECK_TESTS = (
    "test_schema",
    "test_autograd_registration",
    "test_faketensor",
    "test_aot_dispatch_static",
    "test_aot_dispatch_dynamic",
)


def _cpu_inputs() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, 5, generator=g)
    nchw = torch.randn(2, 3, 4, 5, generator=g)
    return {
        "contiguous": base,
        "transposed": base.transpose(0, 2),
        "step_sliced": base[::2, 1::3],
        "storage_offset": base[1:, 2:],
        "expanded": torch.randn(1, 5, generator=g).expand(4, 5),
        "channels_last": nchw.to(memory_format=torch.channels_last),
        "zero_dim": torch.tensor(3.5),
        "empty": torch.empty(0, 3),
        "int64": torch.tensor([2**53 + 1, -(2**63), 2**63 - 1]),
        "bool": torch.tensor([[True, False], [False, True]]).t(),
        "complex": torch.randn(3, 4, dtype=torch.complex64, generator=g)[:, ::2],
        "float8": torch.randn(8, generator=g).to(torch.float8_e4m3fn),
        "float64_grad": torch.randn(3, 4, dtype=torch.float64, generator=g).requires_grad_(),
        "complex128_grad": torch.randn(3, 4, dtype=torch.complex128, generator=g)
        .t()
        .requires_grad_(),
    }


CPU_INPUTS = _cpu_inputs()

DEVICES = [
    pytest.param("cpu"),
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
        ],
    ),
]


def _on(device: str, name: str) -> torch.Tensor:
    """The named input on ``device``, with the same strides, offset and gaps as on CPU."""
    x = CPU_INPUTS[name]
    if device == "cpu":
        return x
    base = x.detach()
    numel = base.untyped_storage().nbytes() // base.element_size()
    whole_storage = base.as_strided((numel,), (1,), 0)
    moved = whole_storage.to(device).as_strided(base.shape, base.stride(), base.storage_offset())
    return moved.requires_grad_(x.requires_grad)


@OPS
def test_schema_and_tags(op: torch._ops.OpOverload) -> None:
    name = op.name().split("::")[1]
    assert str(op._schema) == f"realize::{name}(Tensor self) -> Tensor"
    assert torch.Tag.pt2_compliant_tag in op.tags
    assert op is getattr(torch.ops.realize, name).default


@pytest.mark.parametrize(
    "key",
    # Backends that get the kernel through CompositeExplicitAutograd, and the
    # nested keys registered from torch's own enum. No key was listed by hand
    # in the registration, so this guards against a hand-kept list creeping in.
    [
        "CPU",
        "CUDA",
        "MPS",
        "XPU",
        "HPU",
        "PrivateUse1",
        "Meta",
        "SparseCPU",
        "SparseCUDA",
        "SparseCsrCPU",
        "SparseCsrCUDA",
        "QuantizedCPU",
        "QuantizedCUDA",
        "NestedTensorCPU",
        "NestedTensorCUDA",
        "AutogradCPU",
        "AutogradCUDA",
        "AutogradXPU",
        "AutogradNestedTensor",
    ],
)
@pytest.mark.parametrize("qualname", ["realize::realize", "realize::barrier"])
def test_every_backend_has_a_kernel(key: str, qualname: str) -> None:
    assert torch._C._dispatch_has_computed_kernel_for_dispatch_key(qualname, key)


@OPS
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(CPU_INPUTS))
def test_opcheck(name: str, device: str, op: torch._ops.OpOverload) -> None:
    x = _on(device, name)
    if x.dtype.itemsize == 1 and x.is_floating_point():
        # PyTorch's test_schema compares before/after with torch.allclose, which
        # has no float8 kernel. Aliasing and mutation do not depend on the dtype,
        # so the schema check runs on the same bytes viewed as uint8 instead.
        torch.library.opcheck(op, (x.view(torch.uint8),), test_utils="test_schema")
        tests = tuple(t for t in OPCHECK_TESTS if t != "test_schema")
    else:
        tests = OPCHECK_TESTS
    torch.library.opcheck(op, (x,), test_utils=tests)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(CPU_INPUTS))
@pytest.mark.parametrize("impl", IMPLS, ids=IMPL_IDS)
def test_matches_clone(name: str, impl, device: str) -> None:
    x = _on(device, name)
    expected = x.clone()
    got = impl(x)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.stride() == expected.stride()
    assert got.storage_offset() == expected.storage_offset()
    assert got.requires_grad == expected.requires_grad
    assert got.device == x.device
    assert torch.equal(bit_view(got), bit_view(expected))
    if x.numel():  # an empty tensor has no memory to share
        assert got.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()


@pytest.mark.parametrize("device", DEVICES)
def test_bitwise_negative_zero_and_nan_payloads(device: str) -> None:
    # Payload-carrying NaNs (quiet and signalling patterns) and -0.0 must
    # survive: a float round trip or an arithmetic copy would canonicalise them.
    patterns = torch.tensor(
        [0x7FC00001, 0x7FA00000, 0xFFC12345, 0x80000000, 0x00000001, 0x7F800000],
        dtype=torch.int64,
    ).to(torch.int32)
    x = patterns.view(torch.float32).to(device)
    for impl in IMPLS:
        y = impl(x)
        assert torch.equal(y.view(torch.int32), x.clone().view(torch.int32))
    half = torch.tensor([0x7E01, 0x8000, 0xFC01]).to(torch.int16).view(torch.float16).to(device)
    assert torch.equal(realize.realize(half).view(torch.int16), half.view(torch.int16))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", IMPLS, ids=IMPL_IDS)
def test_no_shared_memory(impl, device: str) -> None:
    x = torch.arange(12.0, device=device).reshape(3, 4)[:, 1:]
    y = impl(x)
    x_range = (x.untyped_storage().data_ptr(), x.untyped_storage().nbytes())
    y_ptr = y.untyped_storage().data_ptr()
    assert not (x_range[0] <= y_ptr < x_range[0] + x_range[1])
    before = x.clone()
    y.fill_(-1)
    torch.testing.assert_close(x, before, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_gradcheck_and_gradgradcheck(device: str) -> None:
    for x in (_on(device, "float64_grad"), _on(device, "complex128_grad")):
        for fn in IMPLS:
            assert torch.autograd.gradcheck(fn, (x,))
            assert torch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", IMPLS, ids=IMPL_IDS)
def test_backward_is_identity_and_double_backward_exact(impl, device: str) -> None:
    x = torch.randn(3, 4, dtype=torch.float64, device=device, requires_grad=True)
    y = impl(x)
    assert y.grad_fn is not None
    g = torch.randn(4, 3, dtype=torch.float64, device=device).t()  # non-contiguous grad_output
    (gx,) = torch.autograd.grad(y, x, g, create_graph=True)
    torch.testing.assert_close(gx, g, rtol=0, atol=0)
    # d(<gx, v>)/dg == v exactly: the backward is the identity map on grad_output.
    g.requires_grad_()
    (gx,) = torch.autograd.grad(impl(x), x, g, create_graph=True)
    v = torch.randn(3, 4, dtype=torch.float64, device=device)
    (ggx,) = torch.autograd.grad(gx, g, v)
    torch.testing.assert_close(ggx, v, rtol=0, atol=0)


def test_meta_device_keeps_clone_strides() -> None:
    for x in (
        torch.empty(4, 5, 6, device="meta").permute(2, 0, 1),
        torch.empty(4, 6, device="meta")[:, ::2],
        torch.empty(2, 3, 4, 5, device="meta").to(memory_format=torch.channels_last),
        torch.empty(1, 5, device="meta").expand(3, 5),
    ):
        for impl in IMPLS:
            y = impl(x)
            assert y.device.type == "meta"
            assert (y.shape, y.stride(), y.dtype) == (x.shape, x.clone().stride(), x.dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse(layout: str, device: str) -> None:
    dense = torch.tensor([[0.0, 1.5, 0.0], [-0.0, 0.0, 3.0]], device=device)
    x = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    for impl in IMPLS:
        y = impl(x)
        assert y.layout == x.layout
        torch.testing.assert_close(y.to_dense(), x.clone().to_dense(), rtol=0, atol=0)
        assert y.values().data_ptr() != x.values().data_ptr()


@pytest.mark.parametrize("device", DEVICES)
def test_quantized(device: str) -> None:
    values = torch.tensor([-1.0, 0.0, 0.5, 2.0], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = torch.quantize_per_tensor(values, 0.1, 3, torch.qint8)
    for impl in IMPLS:
        y = impl(x)
        assert y.is_quantized and y.qscheme() == x.qscheme()
        assert (y.q_scale(), y.q_zero_point()) == (x.q_scale(), x.q_zero_point())
        assert torch.equal(y.int_repr(), x.int_repr())
        assert y.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("device", DEVICES)
def test_nested_strided_and_jagged(device: str) -> None:
    parts = [torch.randn(2, 3, device=device), torch.randn(4, 3, device=device)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strided = torch.nested.nested_tensor(parts)
    jagged = torch.nested.nested_tensor(parts, layout=torch.jagged)
    for x in (strided, jagged):
        for impl in IMPLS:
            y = impl(x)
            assert y.is_nested and y.layout == x.layout
            for a, b in zip(y.unbind(), x.unbind(), strict=True):
                torch.testing.assert_close(a, b, rtol=0, atol=0)
                assert a.data_ptr() != b.data_ptr()


@OPS
def test_vmap_rule(op: torch._ops.OpOverload) -> None:
    x = torch.randn(5, 3, 4)
    y = torch.vmap(op, in_dims=1)(x)
    torch.testing.assert_close(y, x.movedim(1, 0), rtol=0, atol=0)
    assert y.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("fn", [realize.realize, realize.barrier], ids=["realize", "barrier"])
@pytest.mark.parametrize("bad", [None, 3, [1.0, 2.0], "tensor", 2.5])
def test_function_rejects_non_tensors(bad: object, fn) -> None:
    match = rf"{fn.__name__}\(\) expected a torch.Tensor, but got {type(bad).__name__}"
    with pytest.raises(TypeError, match=match):
        fn(bad)


@OPS
@pytest.mark.parametrize("bad", [None, 3, [1.0, 2.0], "tensor"])
def test_operator_rejects_non_tensors_without_attribute_error(bad: object, op) -> None:
    # The schema check rejects most values with a RuntimeError naming the
    # argument; None passes it (an undefined Tensor) and the kernel's own check
    # must turn it into a TypeError, not an AttributeError from ``None.clone``.
    with pytest.raises((TypeError, RuntimeError), match="self") as info:
        op(bad)
    assert not isinstance(info.value, AttributeError)
