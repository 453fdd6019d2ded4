#!/usr/bin/python3
"""merkle.py - a block's txids, merkle branches and CMerkleBlocks, computed
with hashlib apart from the code under test (tests/proof.bats).

  merkle.py txids BLOCK                 display txids, one a line
  merkle.py branch BLOCK POS            Electrum's get_merkle answer as JSON
  merkle.py proof BLOCK POS...          a CMerkleBlock in hex, built as Bitcoin
                                        Core's CPartialMerkleTree builds it
  merkle.py proof BLOCK POS... --repeat-last
                                        the same over the txids with the last
                                        repeated (CVE-2012-2459)

  merkle.py all FILE                    "HEIGHT POS TXID" for every transaction
                                        of btcd's framed blocks 1..255

BLOCK is a raw block file, or FILE:HEIGHT for btcd's framed blocks 1..255.
"""
import hashlib
import json
import struct
import sys


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def load(spec):
    if ":" not in spec:
        return open(spec, "rb").read()
    path, height = spec.rsplit(":", 1)
    d, p = open(path, "rb").read(), 0
    for _ in range(int(height) - 1):
        p += 8 + struct.unpack_from("<I", d, p + 4)[0]
    return d[p + 8:p + 8 + struct.unpack_from("<I", d, p + 4)[0]]


def compact(d, p):
    b = d[p]
    if b < 0xfd:
        return b, p + 1
    w = {0xfd: 2, 0xfe: 4, 0xff: 8}[b]
    return int.from_bytes(d[p + 1:p + 1 + w], "little"), p + 1 + w


def txids(block):
    """The txids (internal order) of a block, witnesses stripped."""
    d = block[80:]
    n, p = compact(d, 0)
    out = []
    for _ in range(n):
        start = p
        p += 4
        body_start = p
        ins, p = compact(d, p)
        segwit = ins == 0
        if segwit:
            p += 1
            body_start = p
            ins, p = compact(d, p)
        for _ in range(ins):
            p += 36
            ln, p = compact(d, p)
            p += ln + 4
        outs, p = compact(d, p)
        for _ in range(outs):
            p += 8
            ln, p = compact(d, p)
            p += ln
        body_end = p
        if segwit:
            for _ in range(ins):
                k, p = compact(d, p)
                for _ in range(k):
                    ln, p = compact(d, p)
                    p += ln
        p += 4
        stripped = d[start:start + 4] + d[body_start:body_end] + d[p - 4:p]
        out.append(sha256d(stripped))
    assert p == len(d), "bytes after the last transaction"
    return out


def levels(leaves):
    out = [leaves]
    while len(out[-1]) > 1:
        row = out[-1]
        out.append([sha256d(row[i] + row[min(i + 1, len(row) - 1)]) for i in range(0, len(row), 2)])
    return out


def branch(ids, pos):
    hashes = []
    for row in levels(ids)[:-1]:
        sib = pos ^ 1
        hashes.append(row[sib if sib < len(row) else pos])
        pos >>= 1
    return hashes


def merkleblock(header, ids, positions):
    tree = levels(ids)
    height = len(tree) - 1
    bits, hashes = [], []

    def build(h, pos):
        lo, hi = pos << h, (pos + 1) << h
        parent = any(lo <= m < hi for m in positions)
        bits.append(parent)
        if h == 0 or not parent:
            hashes.append(tree[h][pos])
            return
        build(h - 1, 2 * pos)
        if 2 * pos + 1 < len(tree[h - 1]):
            build(h - 1, 2 * pos + 1)

    build(height, 0)
    flags = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        flags[i // 8] |= b << (i % 8)

    def cs(n):
        return bytes([n]) if n < 0xfd else b"\xfd" + struct.pack("<H", n)

    return header + struct.pack("<I", len(ids)) + cs(len(hashes)) + b"".join(hashes) + cs(len(flags)) + bytes(flags)


def main():
    if sys.argv[1] == "all":
        d, p, h = open(sys.argv[2], "rb").read(), 0, 0
        while p < len(d):
            n = struct.unpack_from("<I", d, p + 4)[0]
            h += 1
            for i, t in enumerate(txids(d[p + 8:p + 8 + n])):
                print(h, i, t[::-1].hex())
            p += 8 + n
        return
    cmd, block = sys.argv[1], load(sys.argv[2])
    ids = txids(block)
    assert levels(ids)[-1][0] == block[36:68], "merkle root mismatch"
    if cmd == "txids":
        for t in ids:
            print(t[::-1].hex())
    elif cmd == "branch":
        pos = int(sys.argv[3])
        print(json.dumps({"block_height": None, "merkle": [h[::-1].hex() for h in branch(ids, pos)],
                          "pos": pos, "txid": ids[pos][::-1].hex()}))
    elif cmd == "proof":
        args = sys.argv[3:]
        if "--repeat-last" in args:
            args.remove("--repeat-last")
            ids = ids + ids[-1:]
        print(merkleblock(block[:80], ids, [int(a) for a in args]).hex())


main()
