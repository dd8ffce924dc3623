#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed programs of corpus/fuzz_guest/ in the byte layout guest_program.cpp
decodes (op byte, then its fields, little endian). Run it after changing the layout."""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "corpus", "fuzz_guest")
u8 = lambda v: struct.pack("<B", v)
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)
u64 = lambda v: struct.pack("<Q", v)
slot_ptr = lambda slot: u8(slot) + u8(0)          # pointer(): arena slot, offset 0


def ste(sid, config, eats=0, s1dss=0, s2=None, cdmax=0):
    a = 1 | config << 1 | s1dss << 6
    b = eats
    s2vmid, s2t0sz, c, s2ttb = 0, 0, 0, 0
    if s2:
        s2vmid, s2t0sz, sl0, s2ttb = s2
        c = sl0 | 5 << 4  # 4K, S2PS 48 bits
    d = 0x10  # S2R
    return (u8(0) + u8(sid) + u8(a) + slot_ptr(1) + u8(cdmax) + u8(b) + u16(s2vmid) +
            u8(s2t0sz) + u8(c) + u8(d) + slot_ptr(s2ttb))


def cd(index, ttb_slot, asid, t0sz=16, wxn=False):
    a = 1 | 4 | 8  # V, AA64, R, A, EPD1
    return (u8(1) + u8(index) + u8(a) + u8(t0sz) + u8(5 << 2) + u8(1 if wxn else 0) +
            u16(asid) + slot_ptr(ttb_slot) + u8(0) + u8(0))


def table(slot, index, next_slot):
    return u8(2) + u8(slot) + u16(index) + u8(1) + slot_ptr(next_slot) + u8(0)


def page(slot, index, pa, attrs=0x110, block=False):  # AF, AP = 01 (read/write, any EL)
    return u8(2) + u8(slot) + u16(index) + u8(2 if block else 6) + u8(0) + u32(pa >> 12) + u16(attrs) + u8(0)


def dma(sid, va, write=False, ssv=False, ssid=0, priv=False, exe=False, port=0):
    f = ssv | write << 1 | priv << 2 | exe << 3 | port << 4 | 3 << 5
    return u8(6) + u8(f) + u8(sid) + u8(ssid) + u8(0) + u32(va >> 12) + u64(0x1122334455667788)


def ats_request(endpoint_sid_silent=False, va=0, nw=True):
    f = (0x40 if endpoint_sid_silent else 0) | nw << 1
    return u8(7) + u8(f) + u8(0) + u8(0) + u32(va >> 12)


def ats_dma(va, write=False, endpoint=0):
    f = write << 1 | endpoint << 4 | 6 << 5
    return u8(8) + u8(f) + u8(0) + u8(0) + u32(va >> 12)


def cmd(index, f=0, sid=0, extra=b"", publish=True):
    return u8(4) + u8(index) + u8(f) + u8(sid) + u8(0) + extra + u8(1 if publish else 0)


TLBI_NH_ASID, ATC_INV, SYNC, CFGI_STE = 7, 17, 21, 2
run = lambda b: u8(12) + u8(b)
consume, ack_gerror = u8(10), u8(11)


def stage1_rig(sid):
    # VA 0x4000_0000 -> PA 0x100_0000 with a 4K, 4-level table in slots 4..7.
    return (ste(sid, 5, eats=1 if sid == 1 else 0) + cd(0, 4, asid=sid) + table(4, 0, 5) +
            table(5, 1, 6) + table(6, 0, 7) + page(7, 0, 0x100_0000))


seeds = {
    "stage1_dma": stage1_rig(3) + dma(3, 0x4000_0000) + dma(3, 0x4000_0000, write=True) +
                  dma(3, 0x4000_1000) + dma(9, 0) + consume,
    "stage1_tlbi_sync": stage1_rig(3) + dma(3, 0x4000_0000) +
                        cmd(TLBI_NH_ASID, f=4, sid=0, extra=u16(3)) +
                        cmd(SYNC, extra=u8(0)) + run(20) + dma(3, 0x4000_0000, port=1),
    "ats": stage1_rig(1) + ats_request(va=0x4000_0000) + ats_dma(0x4000_0000) +
           ats_dma(0x4000_0000, write=True) + cmd(ATC_INV, sid=1, extra=u8(52)) +
           cmd(SYNC, extra=u8(0)) + run(40) + ats_request(endpoint_sid_silent=True),
    # Stage 2 only, IPA 0x8000_0000 -> 0x200_0000: S2T0SZ 25, SL0 1 (start level 1).
    "stage2_dma": ste(4, 6, s2=(7, 25, 1, 8)) + table(8, 2, 9) + table(9, 0, 10) +
                  page(10, 0, 0x200_0000, attrs=0x100 | 0x30) + dma(4, 0x8000_0000) +
                  dma(4, 0x8000_0000, write=True) + dma(4, 0x9000_0000) + consume + ack_gerror,
    "bad_ste_cfgi": ste(5, 5, s1dss=3) + dma(5, 0) + cmd(CFGI_STE, sid=5, f=2) + cmd(SYNC, extra=u8(1)) +
                    u8(4) + u8(0xff) + u64(0xff) + u64(0) + u8(1) + run(10) + ack_gerror + dma(5, 0),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
