"""Request bombs against the reports service: bodies built to freeze a parser or fill memory
(millions of form fields, deep JSON, 25 MB text parts, a 40-megapixel PNG), and a client that
sends one while reading the reply. Shared by the end-to-end test and bench/hostile_input.py."""

import asyncio
import io
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image

# Königstraße in Duisburg's city centre: a place inside the city, so only the bomb is wrong.
KOENIGSTRASSE = (51.4325, 6.7652)


@dataclass(frozen=True)
class Bomb:
    name: str
    method_path: str
    content_type: str
    body: bytes
    chunked: bool = False


def url_encoded(fields: int) -> bytes:
    return b"&".join([b"a=b"] * fields)


def many_answers(keys: int) -> bytes:
    answers = ",".join(f'"q{n}":"x"' for n in range(keys))
    return (
        '{"category":"graffiti","description":"Bombe","lat":51.43,"lon":6.76,'
        f'"answers":{{{answers}}}}}'
    ).encode()


def png_bomb() -> tuple[bytes, str]:
    """A flat 6320x6320 PNG: about 155 KB on the wire, 40 Mpx once decoded."""
    image = io.BytesIO()
    Image.new("RGB", (6320, 6320), (90, 90, 90)).save(image, "PNG", optimize=True)
    boundary = "pngbomb"
    fields = {
        "category": "graffiti",
        "description": "Graffiti an der Wand",
        "lat": str(KOENIGSTRASSE[0]),
        "lon": str(KOENIGSTRASSE[1]),
        "email": "bomb@example.org",
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + image.getvalue()
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def text_part_bomb(name: str, path: str, field: str, size: int, chunked: bool = False) -> Bomb:
    """A multipart form with one text part of `size` bytes, a flat JSON object as the form's
    answers would be, and a small photo, so the body is under the photo routes' limit."""
    boundary = "textbomb"
    text = b"{" + b'"a":1,' * (size // 6) + b'"b":1}'
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n'.encode()
        + text
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--{boundary}--\r\n'.encode()
    )
    content_type = f"multipart/form-data; boundary={boundary}"
    return Bomb(name, path, content_type, body, chunked)


def huge_number_answer() -> bytes:
    return (
        '{"category":"graffiti","description":"Graffiti an der Wand","lat":51.43,"lon":6.76,'
        f'"answers":{{"offensive":"no","area_m2":1{"0" * 400}}}}}'
    ).encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = b"[" * 1000 + b"]" * 1000
# Parsed on the event loop, answers of 34 MB held it for 12.6 s before text parts were capped.
TEXT_BOMB_BYTES = 25 * 1024 * 1024
BOMBS = [
    Bomb(
        "open311 7M fields, 28 MB", "POST /open311/v2/requests.json", FORM, url_encoded(7_000_000)
    ),
    Bomb(
        "open311 7M fields, chunked",
        "POST /open311/v2/requests.json",
        FORM,
        url_encoded(7_000_000),
        chunked=True,
    ),
    Bomb(
        "open311 12k fields in 48 KB, chunked",
        "POST /open311/v2/requests.json",
        FORM,
        url_encoded(12_000),
        chunked=True,
    ),
    Bomb("web alerts 2M fields", "POST /alerts", FORM, url_encoded(2_000_000)),
    Bomb("web report 2M fields", "POST /report", FORM, url_encoded(2_000_000)),
    Bomb("JSON report 1.5M answers", "POST /api/v1/reports", JSON, many_answers(1_500_000)),
    Bomb(
        "JSON report 1.5M answers, chunked",
        "POST /api/v1/reports",
        JSON,
        many_answers(1_500_000),
        chunked=True,
    ),
    Bomb("JSON report 1000 deep", "POST /api/v1/reports", JSON, DEEP),
    Bomb("JSON alert 1000 deep", "POST /api/v1/alerts", JSON, DEEP),
    # A JSON route parses JSON whatever Content-Type the client declares.
    Bomb("JSON report 30k [ said to be a form", "POST /api/v1/reports", FORM, b"[" * 30_000),
    Bomb(
        "JSON alert 30k [ said to be multipart",
        "POST /api/v1/alerts",
        "multipart/form-data; boundary=x",
        b"[" * 30_000,
    ),
    text_part_bomb("form answers 25 MB", "POST /api/v1/reports/form", "answers", TEXT_BOMB_BYTES),
    text_part_bomb(
        "form answers 25 MB, chunked",
        "POST /api/v1/reports/form",
        "answers",
        TEXT_BOMB_BYTES,
        chunked=True,
    ),
    text_part_bomb(
        "open311 description 25 MB",
        "POST /open311/v2/requests.json",
        "description",
        TEXT_BOMB_BYTES,
    ),
    text_part_bomb("web report description 25 MB", "POST /report", "description", TEXT_BOMB_BYTES),
    Bomb("number answer of 401 digits", "POST /api/v1/reports", JSON, huge_number_answer()),
]


@dataclass
class Reply:
    status: int
    size: int
    seconds: float


async def send_bomb(url: str, bomb: Bomb) -> Reply:
    """Writes the body while reading the reply, as a server may answer before the body ends;
    the time is from the first byte sent to the last byte of the reply."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    method, path = bomb.method_path.split(" ")
    length = "Transfer-Encoding: chunked" if bomb.chunked else f"Content-Length: {len(bomb.body)}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: {bomb.content_type}"
        f"\r\n{length}\r\n\r\n"
    ).encode()

    async def write_body() -> None:
        writer.write(head)
        if not bomb.chunked:
            writer.write(bomb.body)
        else:
            for start in range(0, len(bomb.body), 64 * 1024):
                chunk = bomb.body[start : start + 64 * 1024]
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    started = time.monotonic()
    writing = asyncio.create_task(write_body())
    try:
        head_bytes = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        headers = head_bytes.decode("latin-1").split("\r\n")
        status = int(headers[0].split(" ")[1])
        length_header = [h for h in headers if h.lower().startswith("content-length:")]
        size = int(length_header[0].split(":")[1]) if length_header else 0
        await asyncio.wait_for(reader.readexactly(size), 30)
        seconds = time.monotonic() - started
    finally:
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)
    return Reply(status, size, seconds)
