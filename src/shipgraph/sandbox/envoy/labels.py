"""Label files in the three formats of ``options.label.format``: pdf, png, zpl."""

from __future__ import annotations

import struct
import zlib

from shipgraph.sandbox.pdf import text_pdf

FILE_TYPES = {"pdf": "application/pdf", "png": "image/png", "zpl": "application/zpl"}


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def small_png(width: int = 40, height: int = 60) -> bytes:
    """A valid greyscale PNG: a white label with a black border and bar stripes."""
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            border = x in (0, width - 1) or y in (0, height - 1)
            bars = height // 3 <= y < height // 2 and x % 3 == 0
            row.append(0 if border or bars else 255)
        rows.append(b"\x00" + bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def zpl(lines: list[str]) -> bytes:
    fields = "".join(
        f"^FO40,{40 + 50 * i}^A0N,36,36^FD{line.replace('^', ' ').replace('~', ' ')}^FS"
        for i, line in enumerate(lines)
    )
    return f"^XA^CI28{fields}^XZ\n".encode()


def render(fmt: str, lines: list[str]) -> bytes:
    if fmt == "png":
        return small_png()
    if fmt == "zpl":
        return zpl(lines)
    return text_pdf([lines])
