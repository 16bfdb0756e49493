"""Citizens' photos made safe to store: checked, re-encoded without any metadata, thumbnailed."""

import math
import struct
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from PIL import Image, ImageCms, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base

from stadtmelder_shared.event_values import Location

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Phones save 12 MP (4032 × 3024) by default and recent iPhones 24 MP (5712 × 4284); 48-50 MP
# modes write files that mostly exceed MAX_PHOTO_BYTES anyway. 25 MP bounds one decoded copy
# at 100 MB (RGBA), so cleaning stays within photo_workers' memory limit.
MAX_PIXELS = 25_000_000
ACCEPTED_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_SIDE = 2048
THUMBNAIL_SIDE = 320
THUMBNAIL_MEDIA_TYPE = "image/jpeg"

_MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Only these decoders are tried, so an upload never reaches Pillow's rarer, less hardened plugins.
# MPO (the multi-picture JPEG some phones write) is opened by the JPEG plugin.
_OPENERS = ("JPEG", "PNG", "WEBP")
_QUALITY = 85
_THUMBNAIL_QUALITY = 80
_ACCEPTED = "a JPEG, PNG or WebP image"
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PhotoError(Exception):
    """A photo that cannot be stored; `reason` tells the citizen what to send instead."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PhotoTooLarge(PhotoError):
    pass


class NotAnImage(PhotoError):
    pass


@dataclass(frozen=True)
class CleanPhoto:
    media_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_media_type: str
    gps: Location | None


def clean_photo(data: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> CleanPhoto:
    """Re-encode an upload from its pixels alone, upright and at most `MAX_SIDE` pixels long.

    The GPS position is read from the original first. The thumbnail is always a JPEG (every
    browser, mail client and map library shows it) of at most `THUMBNAIL_SIDE` pixels, with
    transparency flattened onto white.
    """
    if len(data) > max_bytes:
        # Callers read at most one byte more than the limit, so the size itself is unknown.
        raise PhotoTooLarge(
            f"Photos may be at most {_megabytes(max_bytes)} MB and this one is larger; "
            "please send a smaller version."
        )
    try:
        return _clean(data)
    except MemoryError as error:
        raise PhotoTooLarge(
            "The photo needs more memory than we allow for one photo; "
            "please send a smaller version."
        ) from error


def _clean(data: bytes) -> CleanPhoto:
    original = _decode(data)
    media_type = _MEDIA_TYPES[str(original.format)]
    exif = _exif_of(original)
    photo = _pixels_only(original, exif)
    stored = _on_white(photo) if media_type == "image/jpeg" else photo
    thumbnail = photo.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return CleanPhoto(
        media_type=media_type,
        data=_encode(stored, media_type),
        width=stored.width,
        height=stored.height,
        thumbnail=_encode(_on_white(thumbnail), THUMBNAIL_MEDIA_TYPE, _THUMBNAIL_QUALITY),
        thumbnail_media_type=THUMBNAIL_MEDIA_TYPE,
        gps=_position(exif),
    )


def read_gps(image: Image.Image) -> Location | None:
    """The position in the image's EXIF GPS block; None if it is missing or implausible."""
    return _position(_exif_of(image))


def _decode(data: bytes) -> Image.Image:
    try:
        with Image.open(BytesIO(data), formats=_OPENERS) as probe:
            _refuse_too_many_pixels(probe.size)
            probe.verify()
        image = Image.open(BytesIO(data), formats=_OPENERS)
        _decode_no_larger_than_needed(image)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow checks its own limits (89 and 179 million pixels) inside Image.open. Whether its
        # warning arrives here as an exception depends on the warning filters, which are left
        # alone; if it is only shown, our lower limit above rejects the photo anyway.
        raise PhotoTooLarge(
            f"The photo has more than {MAX_PIXELS // 1_000_000} million pixels; "
            "please send a smaller version."
        ) from error
    except UnidentifiedImageError as error:
        raise NotAnImage(
            f"This file is not a photo we can read. Please send {_ACCEPTED}."
        ) from error
    except _UNREADABLE as error:
        raise NotAnImage(
            f"This photo is damaged or incomplete. Please send it again as {_ACCEPTED}."
        ) from error
    return image


def _refuse_too_many_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise PhotoTooLarge(
            f"The photo has {width} × {height} pixels; "
            f"photos may have at most {MAX_PIXELS // 1_000_000} million pixels."
        )


def _decode_no_larger_than_needed(image: Image.Image) -> None:
    # A JPEG decoder can scale by 1/2, 1/4 or 1/8 while decoding; asking for a box whose
    # proportions match the photo keeps its longest side at least MAX_SIDE and saves memory.
    # Other formats ignore the request.
    width, height = image.size
    if width >= height:
        box = (MAX_SIDE, max(1, height * MAX_SIDE // width))
    else:
        box = (max(1, width * MAX_SIDE // height), MAX_SIDE)
    image.draft(None, box)


def _exif_of(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except _UNREADABLE:
        # Unreadable EXIF is discarded like all metadata; the pixels are still a usable photo.
        return Image.Exif()


def _position(exif: Image.Exif) -> Location | None:
    try:
        gps = exif.get_ifd(IFD.GPSInfo)
    except _UNREADABLE:
        return None
    lat = _degrees(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef), "N", "S")
    lon = _degrees(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef), "E", "W")
    # Written as "not within" so that a NaN (a rational over zero) is implausible too.
    if lat is None or lon is None or not (abs(lat) <= 90 and abs(lon) <= 180):
        return None
    # Cameras without a fix write zeros; nobody reports a pothole from the Gulf of Guinea.
    if lat == 0 and lon == 0:
        return None
    return Location(lat=lat, lon=lon)


def _degrees(dms: object, ref: object, positive: str, negative: str) -> float | None:
    """Decimal degrees from EXIF (degrees, minutes, seconds) rationals and an N/S/E/W ref."""
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str) or not isinstance(dms, tuple) or not 1 <= len(dms) <= 3:
        return None
    try:
        parts = [float(part) for part in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    value = sum(part / unit for part, unit in zip(parts, (1, 60, 3600), strict=False))
    ref = ref.strip("\x00 ").upper()
    if ref == positive:
        return value
    if ref == negative:
        return -value
    return None


def _pixels_only(image: Image.Image, exif: Image.Exif) -> Image.Image:
    """A new image holding nothing but the upright, scaled-down pixels in sRGB."""
    pixels = _as_srgb(image, image.info.get("icc_profile"))
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Turning after scaling is cheaper and gives the same result, as the bounding box is square.
    # ImageOps.exif_transpose is not used: it rewrites the metadata we are about to drop and
    # fails on some malformed EXIF blocks.
    orientation = exif.get(Base.Orientation)
    if isinstance(orientation, int) and orientation in _TRANSPOSE_FOR_ORIENTATION:
        pixels = pixels.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    return fresh


def _as_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    if image.mode.startswith("I"):
        # 16-bit greyscale would clip to white if converted directly.
        image = image.point(lambda value: value / 256, "L")
    mode = "RGBA" if image.has_transparency_data else "RGB"
    # Dropping a wide-gamut profile (Display P3 on iPhones) without converting would leave the
    # colours dull, so the pixels are converted to sRGB, which viewers assume without a profile.
    if isinstance(icc_profile, bytes) and icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(BytesIO(icc_profile)), _srgb(), outputMode=mode
            )
        except (OSError, ImageCms.PyCMSError):
            # A broken or mismatched profile is dropped like all metadata; the pixels remain.
            converted = None
        if converted is not None:
            return converted
    return image.convert(mode)


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _encode(image: Image.Image, media_type: str, quality: int = _QUALITY) -> bytes:
    """Bytes in `media_type`; no metadata argument is ever passed to the encoder."""
    buffer = BytesIO()
    if media_type == "image/png":
        image.save(buffer, "PNG")
    elif media_type == "image/webp":
        image.save(buffer, "WEBP", quality=quality)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _megabytes(size: int) -> str:
    # Rounded down, so the limit named never reads as more than it is.
    return f"{math.floor(size * 10 / (1024 * 1024)) / 10:.1f}".removesuffix(".0")
