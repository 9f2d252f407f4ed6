"""``realize.testing``: what its failure messages say, and that their snippets reproduce."""

from __future__ import annotations

import re
import textwrap

import pytest
import torch

import realize
import realize.testing as rt
import tests.harness.broken as broken

LINE = re.compile(
    r"^(clone semantics|independence|identity backward|gradcheck): "
    r"\S[^=]*=.*, but should be .* \[.+\]$"
)


def _error(check, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


def _failure_lines(message: str) -> list[str]:
    return [line for line in message.splitlines() if line and not line.startswith(" ")][:-1]


def _snippet(message: str) -> str:
    return textwrap.dedent(message.split("Reproduce with:\n", 1)[1])


def _offset_f16() -> torch.Tensor:
    # 1.0, -0.0, signalling NaN, smallest subnormal, -2.0, max, 0.0
    bits = torch.tensor([0x3C00, -0x8000, 0x7C01, 0x0001, -0x4000, 0x7BFF, 0], dtype=torch.int16)
    return bits.view(torch.float16).as_strided((2, 3), (1, 2), 1)  # -0.0 at [0, 0]


CASES = [
    (rt.assert_clone_semantics, broken.flushes_negative_zero, _offset_f16),
    (rt.assert_clone_semantics, broken.contiguous_clone, lambda: torch.arange(6.0).view(2, 3).t()),
    (
        rt.assert_clone_semantics,
        broken.keeps_conj_bit,
        lambda: torch.ones(3, dtype=torch.cfloat).conj(),
    ),
    (rt.assert_independent, broken.returns_contiguous, lambda: torch.arange(4, dtype=torch.int64)),
    (rt.assert_independent, broken.bumps_version, _offset_f16),
    (rt.assert_independent, broken.aliases_with_storage_offset, _offset_f16),
    (rt.assert_identity_backward, broken.backward_off_by_one_ulp, lambda: torch.zeros(2, 2).t()),
    (rt.assert_identity_backward, broken.detaches, lambda: torch.zeros(3, dtype=torch.bfloat16)),
    (
        rt.assert_gradcheck,
        broken.backward_conjugates,
        lambda: torch.ones(3, dtype=torch.complex128),
    ),
]


@pytest.mark.parametrize(("check", "fn", "make"), CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_message_shape_and_reproduction(check, fn, make) -> None:  # type: ignore[no-untyped-def]
    message = _error(check, fn, make())
    lines = _failure_lines(message)
    assert lines, message
    for line in lines:
        assert LINE.match(line), line
    assert "  x: dtype=" in message and "stride=" in message and "storage_offset=" in message
    # the snippet rebuilds the input from raw bits and repeats the check: same failure
    snippet = _snippet(message)
    assert f"import {fn.__module__}" in snippet
    with pytest.raises(AssertionError) as again:
        exec(compile(snippet, "<snippet>", "exec"), {})
    assert _failure_lines(str(again.value)) == lines


def test_values_message_names_index_and_both_values() -> None:
    message = _error(rt.assert_clone_semantics, broken.flushes_negative_zero, _offset_f16())
    assert message.startswith(
        "clone semantics: values[0, 0]=0.0 (bits 0x0000), but should be -0.0 (bits 0x8000); "
        "1 of 6 elements differ [tests.harness.broken.flushes_negative_zero(x)]"
    )
    assert "  x: dtype=torch.float16, shape=(2, 3), stride=(1, 2), storage_offset=1" in message
    assert "dtype=torch.int16, device='cpu').view(torch.float16)" in message


def test_nan_payloads_int64_and_float8_compare_bitwise() -> None:
    x = torch.tensor([0x7C01], dtype=torch.int16).view(torch.float16)
    canonical = torch.tensor([0x7E00], dtype=torch.int16).view(torch.float16)
    assert "values[0]=nan (bits 0x7e00), but should be nan (bits 0x7c01)" in _error(
        rt.assert_clone_semantics, canonical, x
    )
    big = torch.tensor([2**53 + 1])
    assert "values[0]=9007199254740992" in _error(
        rt.assert_clone_semantics, big.double().long(), big
    )
    f8 = torch.tensor([0x80], dtype=torch.uint8).view(torch.float8_e4m3fn)  # -0.0
    zero = torch.zeros(1, dtype=torch.float8_e4m3fn)
    assert "values[0]=0.0 (bits 0x00), but should be -0.0 (bits 0x80)" in _error(
        rt.assert_clone_semantics, zero, f8
    )


def test_correct_results_pass_and_inputs_are_left_intact() -> None:
    x = _offset_f16()
    before = rt.bit_view(x).clone(), x._version
    for fn in (torch.clone, realize.realize, realize.realize_op, broken.empty_like_copy):
        rt.assert_clone_semantics(fn, x)
        rt.assert_independent(fn, x)
        result = fn(x)
        rt.assert_independent(result, x)  # the (result, source) form
        assert torch.equal(rt.bit_view(result), rt.bit_view(x))  # writes were undone
    assert torch.equal(rt.bit_view(x), before[0]) and x._version == before[1]
    rt.assert_identity_backward(realize.realize, x.float(), torch.ones(3).expand(2, 3))
    rt.assert_gradcheck(realize.realize_op, torch.ones(2, 3, dtype=torch.float64).t())


def test_result_form_detects_a_view() -> None:
    x = torch.arange(6.0)
    message = _error(rt.assert_independent, x[1:], x)
    assert message.startswith("independence: input._version after bumping result's=")
    assert "[fn(x)]" in message and "fn = ...  # the callable that produced the result" in message


def test_meta_checks_metadata_and_skips_values() -> None:
    x = torch.empty(2, 3, device="meta").t()
    rt.assert_clone_semantics(broken.flushes_negative_zero, x)  # no values to flush
    assert "stride=(2, 1), but should be (1, 3)" in _error(
        rt.assert_clone_semantics, broken.contiguous_clone, x
    )
    assert "input._version after bumping" in _error(rt.assert_independent, broken.returns_detach, x)
    snippet = _snippet(_error(rt.assert_clone_semantics, broken.contiguous_clone, x))
    assert "device='meta')  # no data on meta" in snippet


def test_large_inputs_are_described_not_spelled_out() -> None:
    x = torch.zeros(1000, 3).t()
    snippet = _snippet(_error(rt.assert_clone_semantics, broken.contiguous_clone, x))
    assert (
        "x_storage = torch.zeros(3000, dtype=torch.float32, device='cpu')  # values not" in snippet
    )


def test_calls_are_named_for_import() -> None:
    x = torch.arange(3.0)
    op = _error(rt.assert_independent, lambda t: t, x, call=realize.realize_op)
    assert "[torch.ops.realize.realize.default(x)]" in op
    assert "import realize  # registers torch.ops.realize" in op
    anonymous = _error(rt.assert_independent, lambda t: t, x)
    assert "fn = ...  # the callable under test: <function" in anonymous


def test_wrong_dtypes_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"x.dtype=torch.int64"):
        rt.assert_identity_backward(torch.clone, torch.arange(3))
    with pytest.raises(TypeError, match=r"float64 or complex128, got x.dtype=torch.float32"):
        rt.assert_gradcheck(torch.clone, torch.ones(3))


def test_bit_view_sees_what_equality_cannot() -> None:
    a = torch.tensor([0.0, float("nan")])
    b = torch.tensor([-0.0, float("nan")])
    assert not torch.equal(rt.bit_view(a), rt.bit_view(b))
    z = torch.ones(2, dtype=torch.complex128)
    assert rt.bit_view(z).shape == (2, 2) and rt.bit_view(z.conj()).dtype == torch.int64


@pytest.mark.parametrize(
    "check",
    [
        rt.assert_clone_semantics,
        rt.assert_independent,
        rt.assert_identity_backward,
        rt.assert_gradcheck,
    ],
)
def test_helpers_hide_their_frame(check) -> None:  # type: ignore[no-untyped-def]
    assert "__tracebackhide__" in check.__code__.co_varnames


def test_values_message_counts_differing_elements_and_lists_the_first() -> None:
    x = torch.tensor([1 + 2j, 3 - 4j, 5 + 6j]).conj().imag  # negative bit: [-2., 4., -6.]
    message = _error(rt.assert_clone_semantics, broken.ignores_neg_bit, x)
    assert "; 3 of 3 elements differ [" in message.splitlines()[0]
    assert "  values differ at: [0] 2.0 (bits 0x40000000) vs -2.0 (bits 0xc0000000); [1]" in message


def test_a_target_that_raises_gets_the_input_and_a_snippet() -> None:
    def refuses(t: torch.Tensor) -> torch.Tensor:
        raise ValueError("no strides for you")

    with pytest.raises(rt.TargetRaised) as info:
        rt.assert_clone_semantics(refuses, torch.arange(6.0).view(2, 3).t())
    message = str(info.value)
    assert message.startswith(
        "clone semantics: call=raised ValueError('no strides for you'), but should be a result"
    )
    assert "  x: dtype=torch.float32, shape=(3, 2), stride=(1, 3)" in message
    assert "Reproduce with:" in message
    assert isinstance(info.value.__cause__, ValueError)


def test_snippet_names_the_command_line_target_and_the_compile_backend() -> None:
    from realize.harness._targets import Target

    alias = Target("alias", "tests.harness.broken:returns_input", lambda t: t)
    message = _error(rt.assert_independent, alias.callable, torch.arange(3.0))
    assert "import tests.harness\n" not in message
    assert "import tests.harness.broken\n" in message
    assert "[tests.harness.broken.returns_input(x)]" in message
    wrapped = rt.compiled(broken.returns_input_when_compiled, "aot_eager")
    message = _error(rt.assert_independent, wrapped, torch.arange(3.0))
    assert "result is input=True" in message
    snippet = _snippet(message)
    assert (
        "compiled = realize.testing.compiled(tests.harness.broken.returns_input_when_compiled, "
        "backend='aot_eager', dynamic=None)" in snippet
    )
    with pytest.raises(AssertionError, match="result is input=True"):
        exec(compile(snippet, "<snippet>", "exec"), {})


def test_compiled_target_proves_each_call_ran_compiled() -> None:
    target = rt.compiled(torch.clone, "eager")
    for n in range(1, 12):  # past Dynamo's default recompile limit of 8
        rt.assert_clone_semantics(target, torch.zeros(n, dtype=torch.float64))
    assert target.calls == 11
    with torch.compiler.set_stance("force_eager"), pytest.raises(rt.TargetRaised) as info:
        rt.assert_clone_semantics(target, torch.zeros(3))
    assert "NotCompiled" in str(info.value) and "ran this call eagerly" in str(info.value)


def test_forward_mode_at_shared_memory_is_compared_only_where_it_has_one_answer() -> None:
    """make_dual stores the tangent in x's layout; where elements of x share an address,
    which write lands is a race on a GPU (an H100 gave two answers for
    jacfwd(torch.clone)) or on a CPU copy split across threads. There x is checked as a
    contiguous copy; a one-loop CPU copy is deterministic and stays compared as drawn."""
    from realize.testing._transforms import _tangent_is_ambiguous

    small = torch.arange(6.0).as_strided((4, 3), (1, 1))  # 12 elements at 6 addresses
    large = torch.arange(202.0).as_strided((200, 3), (1, 1))  # jacfwd copies 600 x 600
    assert not _tangent_is_ambiguous("jacfwd", small)
    assert _tangent_is_ambiguous("jacfwd", large) and not _tangent_is_ambiguous("jvp", large)
    assert not _tangent_is_ambiguous("jvp", torch.arange(6.0).view(2, 3))  # nothing shared
    assert not _tangent_is_ambiguous("vjp", large)  # reverse mode stores nothing in x's layout
    rt.assert_transform(torch.clone, "jacfwd", large)  # adapted, and clone passes
    # an overlapping x is still checked: a target that drops the tangent is caught there
    with pytest.raises(AssertionError, match="tangent"):
        rt.assert_transform(broken.zero_forward_tangent, "forward_ad", large, large + 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_forward_mode_at_shared_memory_never_accuses_clone_on_cuda() -> None:
    from realize.testing._transforms import _tangent_is_ambiguous

    x = torch.zeros(7, device="cuda").as_strided((2, 5), (2, 1))  # the H100's false alarm
    assert _tangent_is_ambiguous("jacfwd", x)
    for _ in range(20):
        rt.assert_transform(torch.clone, "jacfwd", x)
        rt.assert_transform(torch.clone, "jvp", x, torch.arange(10.0, device="cuda").view(2, 5))
