"""Bitwise instructions (shifts, counts, bit fields, permutes) against
references written from the ISA's pseudo-code."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .ptxkit import run_elementwise, wrap

EXAMPLES = 10   # each example checks a whole array of values

U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
words = st.lists(st.one_of(U32, st.sampled_from([0, 1, 2**31, 2**32 - 1])), min_size=64,
                 max_size=64)
dwords = st.lists(st.one_of(U64, st.sampled_from([0, 1, 2**63, 2**64 - 1])), min_size=64,
                  max_size=64)
amounts = st.lists(st.one_of(st.integers(0, 70), U32), min_size=64, max_size=64)


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, amounts)
def test_shifts_clamp_the_amount(a, n):
    shl, shr, sra = run_elementwise("shl.b32 %d, %a, %b; shr.u32 %q, %a, %b; shr.s32 %r, %a, %b;",
                                    [("u32", a), ("u32", n)], ["u32", "u32", "s32"])
    for x, k, l, r, s in zip(a, n, shl, shr, sra):
        assert l == ((x << k) & 0xFFFFFFFF if k < 32 else 0)
        assert r == (x >> k if k < 32 else 0)
        assert s == wrap(x, 32, True) >> min(k, 31)


@settings(max_examples=EXAMPLES, deadline=None)
@given(dwords, amounts)
def test_64_bit_shifts(a, n):
    shl, sra = run_elementwise("shl.b64 %d, %a, %b; shr.s64 %q, %a, %b;",
                               [("u64", a), ("u32", n)], ["u64", "s64"])
    for x, k, l, s in zip(a, n, shl, sra):
        assert l == ((x << k) % 2**64 if k < 64 else 0)
        assert s == wrap(x, 64, True) >> min(k, 63)


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, words, words)
def test_logic_and_lop3(a, b, c):
    an, o, x, n = run_elementwise(
        "and.b32 %d, %a, %b; or.b32 %q, %a, %b; xor.b32 %r, %a, %b; not.b32 %s, %a;",
        [("u32", a), ("u32", b)], ["u32"] * 4)
    assert an.tolist() == [p & q for p, q in zip(a, b)]
    assert o.tolist() == [p | q for p, q in zip(a, b)]
    assert x.tolist() == [p ^ q for p, q in zip(a, b)]
    assert n.tolist() == [~p & 0xFFFFFFFF for p in a]
    # 0xCA is (a & b) | (~a & c): a select
    (sel,) = run_elementwise("lop3.b32 %d, %a, %b, %c, 0xCA;",
                             [("u32", a), ("u32", b), ("u32", c)], ["u32"])
    assert sel.tolist() == [(p & q) | (~p & r) & 0xFFFFFFFF for p, q, r in zip(a, b, c)]


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, dwords)
def test_popc_clz_brev(a, b):
    pc, cz, br = run_elementwise("popc.b32 %d, %a; clz.b32 %q, %a; brev.b32 %r, %a;",
                                 [("u32", a)], ["u32", "u32", "u32"])
    assert pc.tolist() == [bin(x).count("1") for x in a]
    assert cz.tolist() == [32 - x.bit_length() for x in a]
    assert br.tolist() == [int(f"{x:032b}"[::-1], 2) for x in a]
    pc, cz, br = run_elementwise("popc.b64 %d, %a; clz.b64 %q, %a; brev.b64 %r, %a;",
                                 [("u64", b)], ["u32", "u32", "u64"])
    assert pc.tolist() == [bin(x).count("1") for x in b]
    assert cz.tolist() == [64 - x.bit_length() for x in b]
    assert br.tolist() == [int(f"{x:064b}"[::-1], 2) for x in b]


@settings(max_examples=EXAMPLES, deadline=None)
@given(words)
def test_bfind(a):
    u, s, sh = run_elementwise("bfind.u32 %d, %a; bfind.s32 %q, %a; bfind.shiftamt.u32 %r, %a;",
                               [("u32", a)], ["u32", "u32", "u32"])
    for x, pu, ps, psh in zip(a, u, s, sh):
        assert pu == (x.bit_length() - 1 if x else 0xFFFFFFFF)
        v = wrap(x, 32, True)
        m = ~v if v < 0 else v
        assert ps == (m.bit_length() - 1 if m else 0xFFFFFFFF)
        assert psh == (31 - (x.bit_length() - 1) if x else 0xFFFFFFFF)


def _bfe(a: int, pos: int, length: int, bits: int, signed: bool) -> int:
    """The ISA's bfe pseudo-code."""
    msb = bits - 1
    sbit = 0 if (not signed or length == 0) else (a >> min(pos + length - 1, msb)) & 1
    d = 0
    for i in range(bits):
        bit = (a >> (pos + i)) & 1 if (i < length and pos + i <= msb) else sbit
        d |= bit << i
    return wrap(d, bits, signed)


def _bfi(a: int, b: int, pos: int, length: int, bits: int) -> int:
    f = b
    for i in range(length):
        if pos + i < bits:
            f = (f & ~(1 << (pos + i))) | (((a >> i) & 1) << (pos + i))
    return f


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, words, st.lists(st.integers(0, 40), min_size=64, max_size=64),
       st.lists(st.integers(0, 40), min_size=64, max_size=64))
def test_bfe_bfi(a, b, pos, length):
    u, s, ins = run_elementwise(
        "bfe.u32 %d, %a, %c, %e; bfe.s32 %q, %a, %c, %e; bfi.b32 %r, %a, %b, %c, %e;",
        [("u32", a), ("u32", b), ("u32", pos), ("u32", length)], ["u32", "s32", "u32"])
    for i in range(64):
        assert u[i] == _bfe(a[i], pos[i], length[i], 32, False)
        assert s[i] == _bfe(a[i], pos[i], length[i], 32, True)
        assert ins[i] == _bfi(a[i], b[i], pos[i], length[i], 32)


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, words, words)
def test_prmt_default_mode(a, b, c):
    (d,) = run_elementwise("prmt.b32 %d, %a, %b, %c;", [("u32", a), ("u32", b), ("u32", c)],
                           ["u32"])
    for x, y, sel, out in zip(a, b, c, d):
        source = x | (y << 32)
        expected = 0
        for i in range(4):
            s = (sel >> (4 * i)) & 0xF
            byte = (source >> (8 * (s & 7))) & 0xFF
            if s & 8:
                byte = 0xFF if byte & 0x80 else 0
            expected |= byte << (8 * i)
        assert out == expected


@settings(max_examples=EXAMPLES, deadline=None)
@given(words, words, amounts)
def test_funnel_shifts(a, b, n):
    lw, rc = run_elementwise("shf.l.wrap.b32 %d, %a, %b, %c; shf.r.clamp.b32 %q, %a, %b, %c;",
                             [("u32", a), ("u32", b), ("u32", n)], ["u32", "u32"])
    for x, y, k, left, right in zip(a, b, n, lw, rc):
        joined = x | (y << 32)
        assert left == ((joined << (k & 31)) >> 32) & 0xFFFFFFFF
        assert right == (joined >> min(k, 32)) & 0xFFFFFFFF


def test_predicate_logic_and_cnot():
    a, b = [True, True, False, False], [True, False, True, False]
    an, o, x, n = run_elementwise("and.pred %d, %a, %b; or.pred %q, %a, %b; "
                                  "xor.pred %r, %a, %b; not.pred %s, %a;",
                                  [("pred", a), ("pred", b)], ["pred"] * 4)
    assert an.tolist() == [True, False, False, False]
    assert o.tolist() == [True, True, True, False]
    assert x.tolist() == [False, True, True, False]
    assert n.tolist() == [False, False, True, True]
    (c,) = run_elementwise("cnot.b32 %d, %a;", [("u32", [0, 1, 7])], ["u32"])
    assert c.tolist() == [1, 0, 0]


@pytest.mark.parametrize("text,expected", [("mov.b64 %d, {%a, %b};", 0x0000000200000001)])
def test_pack_and_unpack(text, expected):
    (d,) = run_elementwise(text, [("u32", [1]), ("u32", [2])], ["u64"])
    assert d.tolist() == [expected]
    lo, hi = run_elementwise("mov.b64 {%d, %q}, %a;", [("u64", [expected])], ["u32", "u32"])
    assert lo.tolist() == [1] and hi.tolist() == [2]
