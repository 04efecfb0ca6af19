"""QR codes as SVG data URIs (allowed by the CSP's img-src data:)."""

import base64
import io

import qrcode
import qrcode.image.svg


def svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
