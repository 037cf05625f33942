"""Draws the officer app's icons (static/icons/*.png) with the standard library only: the brand colour
with a white ring, and a maskable one with the ring inside the safe zone. Run once; the PNGs are committed
(they are small and never change with the code)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BRAND = (0x3A, 0x2A, 0x6B)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"


def png(size: int, *, ring_outer: float, ring_inner: float) -> bytes:
    rows = []
    centre = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5 / size
            row += bytes(WHITE if ring_inner <= distance <= ring_outer or distance <= 0.07 else BRAND)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size, ring_outer=0.38, ring_inner=0.28))
    # Maskable: the platform may crop to a circle of 80% of the width, so the ring stays within 0.4.
    (OUT / "icon-maskable-512.png").write_bytes(png(512, ring_outer=0.3, ring_inner=0.22))


if __name__ == "__main__":
    main()
