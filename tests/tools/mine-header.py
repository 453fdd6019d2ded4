#!/usr/bin/python3
"""mine-header.py - mine one 80-byte Bitcoin header, independently of the
code under test (hashlib's SHA-256, Python's integers), for the header-rule
tests (tests/rules.bats).

usage: mine-header.py PREV VERSION TIME BITS [TAG]
  PREV     the parent's hash in display order (64 hex digits)
  VERSION  a signed 32-bit integer (decimal, or hex with 0x)
  TIME     seconds since the epoch
  BITS     compact target in hex (e.g. 207fffff); must be easy (>= 2^236)
  TAG      any text: the merkle root is sha256d(TAG), so that two headers
           with the same fields differ (default "tag")
Writes the raw header to stdout.

usage: mine-header.py --retarget BITS ACTUAL TIMESPAN LIMIT
  prints the bits of Core's CalculateNextWorkRequired: BITS' target times
  ACTUAL (clamped to [TIMESPAN/4, TIMESPAN*4]) over TIMESPAN, capped at the
  target of LIMIT (compact), re-encoded (GetCompact).
"""
import hashlib
import struct
import sys


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def decode(bits):
    size, word = bits >> 24, bits & 0x007FFFFF
    return word >> 8 * (3 - size) if size <= 3 else word << 8 * (size - 3)


def encode(target):
    size = (target.bit_length() + 7) // 8
    compact = target << 8 * (3 - size) if size <= 3 else target >> 8 * (size - 3)
    if compact & 0x00800000:
        compact >>= 8
        size += 1
    return compact | size << 24


def retarget(bits, actual, timespan, limit):
    actual = max(timespan // 4, min(actual, timespan * 4))
    return encode(min(decode(bits) * actual // timespan, decode(limit)))


def mine(prev, version, time, bits, tag):
    target = decode(bits)
    if target < 1 << 236:
        sys.exit("mine-header.py: bits %08x are too hard to mine here" % bits)
    head = struct.pack("<i", version) + bytes.fromhex(prev)[::-1] + sha256d(tag.encode())
    for nonce in range(1 << 32):
        header = head + struct.pack("<III", time, bits, nonce)
        if int.from_bytes(sha256d(header), "little") <= target:
            return header
    sys.exit("mine-header.py: no nonce meets the target")


def main(argv):
    if len(argv) == 5 and argv[0] == "--retarget":
        print("%08x" % retarget(int(argv[1], 16), int(argv[2]), int(argv[3]), int(argv[4], 16)))
        return
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    header = mine(argv[0], int(argv[1], 0), int(argv[2]), int(argv[3], 16), argv[4] if len(argv) == 5 else "tag")
    sys.stdout.buffer.write(header)


if __name__ == "__main__":
    main(sys.argv[1:])
