import functools
import pickle
import struct
import time
import zlib
from io import BytesIO

import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngImageFile, PngInfo
from PIL.TiffImagePlugin import IFDRational

from stadtmelder_reports.photos import cleaning as photos
from stadtmelder_reports.photos.cleaning import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    NotAnImage,
    PhotoError,
    PhotoTooLarge,
    clean_photo,
    read_gps,
)
from stadtmelder_shared.event_values import Location

Dms = tuple[float | IFDRational, ...]

# Duisburg's inner harbour, 51.4344 N 6.7623 E, as a camera writes it.
DUISBURG = ((51.0, 26.0, 3.84), "N", (6.0, 45.0, 44.28), "E")
BUENOS_AIRES = ((34.0, 36.0, 13.32), "S", (58.0, 22.0, 53.76), "W")
# The latitude's degrees and minutes as the EXIF block stores them: big-endian rationals 51/1, 26/1.
DUISBURG_LATITUDE_BYTES = struct.pack(">4L", 51, 1, 26, 1)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator='
    b'"Anna Schmidt"/></rdf:RDF></x:xmpmeta>'
)
METADATA_KEYS = {
    "exif",
    "xmp",
    "XML:com.adobe.xmp",
    "icc_profile",
    "comment",
    "dpi",
    "transparency",
}


def geotag(
    lat: Dms = DUISBURG[0],
    lat_ref: str | None = DUISBURG[1],
    lon: Dms = DUISBURG[2],
    lon_ref: str | None = DUISBURG[3],
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "Stadtmelder Testkamera"
    if orientation is not None:
        exif[Base.Orientation] = orientation
    gps = exif.get_ifd(IFD.GPSInfo)
    gps.update({GPS.GPSLatitude: lat, GPS.GPSLongitude: lon, GPS.GPSMapDatum: "WGS-84"})
    if lat_ref is not None:
        gps[GPS.GPSLatitudeRef] = lat_ref
    if lon_ref is not None:
        gps[GPS.GPSLongitudeRef] = lon_ref
    return exif


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def a_photo(
    image_format: str = "JPEG",
    size: tuple[int, int] = (200, 100),
    colour: str | int | tuple[int, ...] = "red",
    mode: str = "RGB",
    **options: object,
) -> bytes:
    return encode(Image.new(mode, size, colour), image_format, **options)


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">L", len(data)) + kind + data + struct.pack(">L", zlib.crc32(kind + data))


@functools.cache
def plain_rgba_png(side: int, pixel: tuple[int, int, int, int]) -> bytes:
    """A square PNG of one colour, compressed row by row: quicker to make than with Pillow."""
    row = b"\0" + bytes(pixel) * side
    deflate = zlib.compressobj(9)
    pixels = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    header = struct.pack(">2L5B", side, side, 8, 6, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            png_chunk(b"IHDR", header),
            png_chunk(b"IDAT", pixels),
            png_chunk(b"IEND", b""),
        ]
    )


def a_png_declaring(width: int, height: int) -> bytes:
    """A one-pixel PNG whose header claims another size, as decompression bombs do."""
    png = a_photo("PNG", (1, 1), 0, "L")
    header = b"IHDR" + struct.pack(">2L", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">L", zlib.crc32(header)) + png[33:]


def test_gps_is_read_before_the_metadata_is_stripped() -> None:
    photo = clean_photo(a_photo(exif=geotag().tobytes()))

    assert photo.gps is not None
    assert photo.gps.lat == pytest.approx(51.4344, abs=1e-5)
    assert photo.gps.lon == pytest.approx(6.7623, abs=1e-5)
    assert opened(photo.data).getexif().get_ifd(IFD.GPSInfo) == {}


def test_southern_and_western_references_give_negative_coordinates() -> None:
    photo = clean_photo(a_photo(exif=geotag(*BUENOS_AIRES).tobytes()))

    assert photo.gps is not None
    assert photo.gps.lat == pytest.approx(-34.6037, abs=1e-5)
    assert photo.gps.lon == pytest.approx(-58.3816, abs=1e-5)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_gps_is_read_from_png_and_webp_exif(image_format: str) -> None:
    photo = clean_photo(a_photo(image_format, exif=geotag().tobytes()))

    assert photo.gps is not None
    assert (photo.gps.lat, photo.gps.lon) == pytest.approx((51.4344, 6.7623), abs=1e-5)


@pytest.mark.parametrize(
    "exif",
    [
        pytest.param(Image.Exif(), id="no-gps"),
        pytest.param(geotag((0.0, 0.0, 0.0), "N", (0.0, 0.0, 0.0), "E"), id="null-island"),
        pytest.param(geotag(lat=(95.0, 0.0, 0.0)), id="latitude-out-of-range"),
        pytest.param(geotag(lon=(181.0, 0.0, 0.0)), id="longitude-out-of-range"),
        pytest.param(geotag(lat_ref=None), id="hemisphere-missing"),
        pytest.param(geotag(lon_ref="Q"), id="hemisphere-unknown"),
        pytest.param(geotag(lat=(IFDRational(51, 0), 26.0, 3.84)), id="zero-denominator"),
    ],
)
def test_missing_or_implausible_gps_gives_no_position(exif: Image.Exif) -> None:
    assert clean_photo(a_photo(exif=exif.tobytes())).gps is None


def test_read_gps_reads_an_opened_image() -> None:
    image = Image.open(BytesIO(a_photo(exif=geotag(*BUENOS_AIRES).tobytes())))

    position = read_gps(image)

    assert isinstance(position, Location)
    assert position.lat < 0
    assert position.lon < 0


def test_cleaned_jpeg_keeps_no_exif_xmp_icc_comment_or_gps() -> None:
    upload = a_photo(
        exif=geotag().tobytes(),
        xmp=XMP,
        icc_profile=srgb_profile(),
        comment="Hinterhof von Familie Yılmaz",
    )
    assert b"Anna Schmidt" in upload
    assert DUISBURG_LATITUDE_BYTES in upload

    photo = clean_photo(upload)

    image = opened(photo.data)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not METADATA_KEYS & set(image.info)
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density"} | {
        "progressive",
        "progression",
    }
    for trace in (b"Exif", b"WGS-84", DUISBURG_LATITUDE_BYTES, b"ICC_PROFILE", b"Anna Schmidt"):
        assert trace not in photo.data
    assert "Yılmaz".encode() not in photo.data


def test_cleaned_png_keeps_no_text_chunks_exif_or_icc() -> None:
    text = PngInfo()
    text.add_text("Comment", "Hinterhof Müller, Tel. 0203 123456")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    upload = a_photo(
        "PNG", pnginfo=text, exif=geotag().tobytes(), icc_profile=srgb_profile(), dpi=(300, 300)
    )

    photo = clean_photo(upload)

    image = opened(photo.data)
    assert isinstance(image, PngImageFile)
    assert image.info == {}
    assert image.text == {}
    assert len(image.getexif()) == 0
    for trace in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"pHYs", b"Exif", b"0203"):
        assert trace not in photo.data


def test_cleaned_webp_keeps_no_exif_xmp_or_icc() -> None:
    upload = a_photo("WEBP", exif=geotag().tobytes(), xmp=XMP, icc_profile=srgb_profile())
    assert b"EXIF" in upload

    photo = clean_photo(upload)

    image = opened(photo.data)
    assert image.format == "WEBP"
    assert len(image.getexif()) == 0
    assert not METADATA_KEYS & set(image.info)
    for trace in (b"EXIF", b"Exif", b"XMP ", b"ICCP", DUISBURG_LATITUDE_BYTES, b"Anna Schmidt"):
        assert trace not in photo.data


def test_thumbnail_carries_no_metadata_either() -> None:
    photo = clean_photo(a_photo(exif=geotag().tobytes(), xmp=XMP, icc_profile=srgb_profile()))

    thumbnail = opened(photo.thumbnail)
    assert len(thumbnail.getexif()) == 0
    assert not METADATA_KEYS & set(thumbnail.info)
    assert b"Exif" not in photo.thumbnail


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_photo_keeps_the_format_it_was_sent_in(image_format: str, media_type: str) -> None:
    photo = clean_photo(a_photo(image_format))

    assert photo.media_type == media_type
    assert opened(photo.data).format == image_format
    assert photo.thumbnail_media_type == "image/jpeg"
    assert opened(photo.thumbnail).format == "JPEG"


def test_orientation_is_applied_before_the_metadata_is_stripped() -> None:
    # Red on the left as stored; orientation 6 means the camera was turned clockwise.
    image = Image.new("RGB", (200, 100), "blue")
    image.paste("red", (0, 0, 100, 100))

    photo = clean_photo(encode(image, "JPEG", exif=geotag(orientation=6).tobytes()))

    upright = opened(photo.data).convert("RGB")
    assert (photo.width, photo.height) == (100, 200) == upright.size
    assert upright.getpixel((50, 20)) == pytest.approx((255, 0, 0), abs=8)
    assert upright.getpixel((50, 180)) == pytest.approx((0, 0, 255), abs=8)
    assert opened(photo.thumbnail).size == (100, 200)


def test_large_photo_is_scaled_to_2048_and_its_thumbnail_to_320() -> None:
    photo = clean_photo(a_photo(size=(3000, 1000)))

    assert (photo.width, photo.height) == (2048, 683)
    assert opened(photo.data).size == (2048, 683)
    assert opened(photo.thumbnail).size == (320, 107)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((6000, 1500), (2048, 512)), ((1500, 6000), (512, 2048))],
    ids=["landscape", "portrait"],
)
def test_jpeg_decoded_at_reduced_scale_still_fills_2048(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    photo = clean_photo(a_photo(size=size))

    assert (photo.width, photo.height) == expected


def test_small_photo_is_not_enlarged() -> None:
    photo = clean_photo(a_photo(size=(120, 80)))

    assert (photo.width, photo.height) == (120, 80)
    assert opened(photo.thumbnail).size == (120, 80)


def test_png_keeps_its_transparency_and_the_thumbnail_shows_it_on_white() -> None:
    photo = clean_photo(a_photo("PNG", colour=(0, 0, 0, 0), mode="RGBA"))

    assert opened(photo.data).mode == "RGBA"
    assert opened(photo.data).getpixel((10, 10)) == (0, 0, 0, 0)
    assert opened(photo.thumbnail).getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)


def test_oversized_upload_is_refused_before_decoding_and_the_limit_is_named() -> None:
    # Callers read one byte past the limit; the reason must not pass that off as the size.
    with pytest.raises(PhotoTooLarge) as error:
        clean_photo(b"\0" * (MAX_PHOTO_BYTES + 1))

    assert error.value.reason == (
        "Photos may be at most 10 MB and this one is larger; please send a smaller version."
    )


def test_a_lower_limit_is_named_in_the_reason_and_never_rounded_up() -> None:
    with pytest.raises(PhotoTooLarge) as error:
        clean_photo(b"\0" * 3 * 1024 * 1024, max_bytes=2 * 1024 * 1024 - 1)

    assert "at most 1.9 MB" in error.value.reason
    assert "3 MB" not in error.value.reason


def test_upload_exactly_at_the_limit_is_accepted() -> None:
    upload = a_photo()

    assert clean_photo(upload, max_bytes=len(upload)).media_type == "image/jpeg"


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((5001, 5000), id="over-our-limit"),
        pytest.param((10_000, 10_000), id="over-pillows-warning-limit"),
        pytest.param((20_000, 20_000), id="over-pillows-error-limit"),
    ],
)
def test_decompression_bomb_is_refused_as_too_large(size: tuple[int, int]) -> None:
    with pytest.raises(PhotoTooLarge) as error:
        clean_photo(a_png_declaring(*size))

    assert "25 million pixels" in error.value.reason


def test_png_bomb_of_40_megapixels_is_refused_from_its_header_without_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = plain_rgba_png(6320, (90, 120, 30, 255))
    assert len(bomb) < 200_000

    def decoding(*args: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding)
    started = time.monotonic()
    with pytest.raises(PhotoTooLarge) as error:
        clean_photo(bomb)

    assert time.monotonic() - started < 1.0
    assert error.value.reason == (
        "The photo has 6320 × 6320 pixels; photos may have at most 25 million pixels."
    )


def test_photo_at_the_pixel_limit_is_accepted() -> None:
    assert MAX_PIXELS == 5000 * 5000

    photo = clean_photo(a_photo(size=(5000, 5000)))

    assert (photo.width, photo.height) == (2048, 2048)


def test_running_out_of_memory_while_cleaning_refuses_the_photo_as_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def out_of_memory(data: bytes) -> Image.Image:
        raise MemoryError

    monkeypatch.setattr(photos, "_decode", out_of_memory)
    with pytest.raises(PhotoTooLarge) as error:
        clean_photo(a_photo())

    assert "more memory than we allow" in error.value.reason


@pytest.mark.parametrize("refusal", [PhotoTooLarge("too big"), NotAnImage("not a photo")])
def test_a_refusal_comes_back_from_a_worker_process_unchanged(refusal: PhotoError) -> None:
    back = pickle.loads(pickle.dumps(refusal))

    assert type(back) is type(refusal)
    assert back.reason == refusal.reason


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(b"Liebe Stadt, vor meinem Haus ist ein Schlagloch.", id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(a_photo("GIF"), id="gif"),
        pytest.param(a_photo("BMP"), id="bmp"),
        pytest.param(a_photo("TIFF"), id="tiff"),
    ],
)
def test_files_that_are_not_accepted_photos_are_refused_naming_the_formats(upload: bytes) -> None:
    with pytest.raises(NotAnImage) as error:
        clean_photo(upload)

    assert error.value.reason == (
        "This file is not a photo we can read. Please send a JPEG, PNG or WebP image."
    )


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_upload_is_refused_as_damaged(image_format: str) -> None:
    noisy = Image.effect_noise((400, 300), 64).convert("RGB")
    upload = encode(noisy, image_format)

    with pytest.raises(NotAnImage) as error:
        clean_photo(upload[: len(upload) // 2])

    assert "damaged or incomplete" in error.value.reason
    assert "JPEG, PNG or WebP" in error.value.reason


def test_photo_errors_share_a_base_with_a_reason() -> None:
    with pytest.raises(PhotoError) as error:
        clean_photo(b"not a photo")

    assert str(error.value) == error.value.reason


@pytest.mark.parametrize("image_format", ["WEBP", "PNG"])
def test_animated_image_keeps_only_its_first_frame(image_format: str) -> None:
    red, blue = Image.new("RGB", (60, 40), "red"), Image.new("RGB", (60, 40), "blue")
    upload = encode(red, image_format, save_all=True, append_images=[blue], duration=100)
    assert getattr(Image.open(BytesIO(upload)), "n_frames", 1) == 2

    photo = clean_photo(upload)

    image = opened(photo.data)
    assert getattr(image, "n_frames", 1) == 1
    assert image.convert("RGB").getpixel((30, 20)) == pytest.approx((255, 0, 0), abs=8)


def test_multi_picture_jpeg_from_a_phone_is_stored_as_one_plain_jpeg() -> None:
    red, blue = Image.new("RGB", (60, 40), "red"), Image.new("RGB", (60, 40), "blue")
    upload = encode(red, "MPO", save_all=True, append_images=[blue], exif=geotag().tobytes())

    photo = clean_photo(upload)

    image = opened(photo.data)
    assert photo.media_type == "image/jpeg"
    assert image.format == "JPEG"
    assert image.getpixel((30, 20)) == pytest.approx((255, 0, 0), abs=8)
    assert photo.gps is not None


def test_cmyk_jpeg_is_stored_as_rgb() -> None:
    photo = clean_photo(a_photo(mode="CMYK", colour=(0, 255, 255, 0)))

    image = opened(photo.data)
    assert image.mode == "RGB"
    assert image.getpixel((10, 10)) == pytest.approx((255, 0, 0), abs=8)


def test_16_bit_greyscale_png_keeps_its_tones() -> None:
    photo = clean_photo(a_photo("PNG", mode="I;16", colour=32768))

    assert opened(photo.data).convert("RGB").getpixel((10, 10)) == (128, 128, 128)


def test_photo_with_an_icc_profile_keeps_its_colours() -> None:
    photo = clean_photo(a_photo("PNG", colour=(200, 120, 40), icc_profile=srgb_profile()))

    assert opened(photo.data).getpixel((10, 10)) == pytest.approx((200, 120, 40), abs=2)


def test_broken_icc_profile_is_dropped_and_the_photo_kept() -> None:
    photo = clean_photo(a_photo(icc_profile=b"not a profile"))

    assert "icc_profile" not in opened(photo.data).info
    assert (photo.width, photo.height) == (200, 100)


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_unreadable_exif_is_dropped_and_the_photo_kept(image_format: str) -> None:
    photo = clean_photo(a_photo(image_format, exif=b"Exif\0\0garbage"))

    assert photo.gps is None
    assert b"garbage" not in photo.data
