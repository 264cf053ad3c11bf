"""A minimal PNG reader (8-bit RGB/RGBA, not interlaced) for checking screenshots: no Pillow needed."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def read_png(path: str | Path) -> np.ndarray:
    """Pixels as an array of shape (height, width, channels)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    ch = 3 if color == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, 1 + width * ch)
    out = np.zeros((height, width * ch), dtype=np.int32)
    prev = np.zeros(width * ch, dtype=np.int32)
    for y in range(height):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        elif ftype == 1:  # Sub: a running sum per channel
            cur = (np.cumsum(line.reshape(width, ch), axis=0) & 0xFF).reshape(-1)
        else:  # Sub, Average, Paeth depend on the pixel to the left: one pixel at a time
            cur = np.zeros_like(line)
            for x in range(0, width * ch, ch):
                a = cur[x - ch:x] if x else np.zeros(ch, dtype=np.int32)
                b = prev[x:x + ch]
                c = prev[x - ch:x] if x else np.zeros(ch, dtype=np.int32)
                if ftype == 1:
                    pred = a
                elif ftype == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
                    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
                cur[x:x + ch] = (line[x:x + ch] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(height, width, ch).astype(np.uint8)


def count_color(pixels: np.ndarray, hex_color: str, tolerance: int = 8) -> int:
    rgb = np.array([int(hex_color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)])
    diff = np.abs(pixels[..., :3].astype(np.int32) - rgb).max(axis=-1)
    return int((diff <= tolerance).sum())
