"""A fetched picture's bytes -> a small WebP, or one line saying why not: whatever the
URL or the server claimed, only the five raster formats, never a bomb or an SVG."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from support.pictures import HTML_AS_JPEG, SVG, photo, png_bomb

from newsstand.publish.picture import Made, Refused, make


def encoded(fmt: str, size: tuple[int, int] = (640, 480), **options: object) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, bytes(range(256)) * (size[0] * size[1] * 3 // 256 + 1)).save(
        out, fmt, **options
    )
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "AVIF"])
def test_the_five_formats_become_webp(fmt: str) -> None:
    made = make(encoded(fmt), 400)
    assert isinstance(made, Made), made
    with Image.open(io.BytesIO(made.data)) as im:
        assert im.format == "WEBP" and im.size == (400, 300) == (made.width, made.height)


def test_a_small_picture_is_not_enlarged_and_a_name_is_its_bytes() -> None:
    made = make(encoded("PNG", (120, 90)), 400)
    assert isinstance(made, Made) and (made.width, made.height) == (120, 90)
    again = make(encoded("PNG", (120, 90)), 400)
    assert isinstance(again, Made) and again.name == made.name and made.name.endswith(".webp")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (png_bomb(), "decompression bomb"),
        (SVG, "SVG"),
        (b"\n  " + SVG, "SVG"),
        (HTML_AS_JPEG, "not a picture"),
        (encoded("BMP"), "not a picture"),  # a real picture, but not one of the five
        (encoded("JPEG")[:2000], "broken"),
        (b"", "not a picture"),
    ],
    ids=["bomb", "svg", "svg-after-space", "html", "bmp", "truncated", "empty"],
)
def test_what_is_refused_says_why_in_one_line(data: bytes, says: str) -> None:
    refused = make(data, 400)
    assert isinstance(refused, Refused) and says in refused.reason, refused
    assert "\n" not in refused.reason


def test_an_animated_monster_is_refused_and_a_small_animation_keeps_its_first_frame() -> None:
    frames = [Image.new("L", (10, 10), n * 10) for n in range(20)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    data = bytearray(out.getvalue())
    data[6:10] = (4000).to_bytes(2, "little") * 2  # its screen: 20 frames of 4000 x 4000
    refused = make(bytes(data), 400)
    assert isinstance(refused, Refused) and "animation" in refused.reason
    small = [Image.new("RGB", (200, 100), (0, 0, 255)), Image.new("RGB", (200, 100), (255, 0, 0))]
    out = io.BytesIO()
    small[0].save(out, "GIF", save_all=True, append_images=small[1:])
    made = make(out.getvalue(), 400)
    assert isinstance(made, Made)
    with Image.open(io.BytesIO(made.data)) as im:
        assert getattr(im, "n_frames", 1) == 1
        r, _g, b = im.convert("RGB").getpixel((10, 10))
        assert b > 200 and r < 50  # the first frame's blue


def test_a_thumbnail_aims_at_30_kb_and_a_tall_one_is_cut() -> None:
    made = make(photo(1600, 1200, seed=9), 400)
    assert isinstance(made, Made) and len(made.data) <= 30_000
    tall = make(photo(400, 3000, seed=5), 400)
    assert isinstance(tall, Made) and tall.height == 800
    text = make(photo(400, 3000, seed=5), 800, thumbnail=False)
    assert isinstance(text, Made) and text.height == 3000
