"""QR rendering of a household code (segno): PNG for printing, SVG for the web."""
from __future__ import annotations

import io

import segno


def render(code: str, kind: str, scale: int = 8) -> bytes:
    qr = segno.make(code, error="m", micro=False)
    buf = io.BytesIO()
    if kind == "svg":
        qr.save(buf, kind="svg", scale=scale, xmldecl=True)
    else:
        qr.save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()
