"""Reading back the images the bot makes: the size of a PNG, and the text of a QR code, with
a real QR reader (zxing-cpp) rather than the library that drew it."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image


def png_size(content: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG; fail the test when it is not a whole, valid PNG."""
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        image.load()  # decodes every row: a truncated file fails here
        return image.size


def read_qr(content: bytes) -> list[str]:
    """Return the texts of the QR codes in an image."""
    with Image.open(io.BytesIO(content)) as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    return [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]
