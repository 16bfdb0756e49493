"""The shape of every mail: one letter, rendered as plain text and as simple, accessible HTML.

Both parts come from the same blocks, so they always say the same. The HTML uses semantic
elements and inline styles only (mail clients drop style sheets), no images, and names the
language, so screen readers read German, English and Turkish correctly.
"""

from dataclasses import dataclass
from html import escape

from stadtmelder_notify.delivery.domain import Mail


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    # The label's own language when it differs from the letter's (e.g. "Türkçe").
    language: str | None = None


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Quote:
    """Someone else's words, e.g. the department's public comment."""

    heading: str
    text: str


@dataclass(frozen=True)
class Facts:
    """Labelled values, e.g. the department and the expected date."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Links:
    intro: str
    links: tuple[Link, ...]


Block = Paragraph | Quote | Facts | Links


@dataclass(frozen=True)
class Letter:
    language: str
    subject: str
    greeting: str
    blocks: tuple[Block, ...]
    signature: str
    footer: tuple[Block, ...] = ()


def as_mail(letter: Letter, to: str, key: str, unsubscribe_url: str | None = None) -> Mail:
    """The letter as a mail to `to`, in both parts; `key` is its delivery's, so the same delivery
    always has the same Message-ID and a resent mail is recognisable."""
    return Mail(
        to=to,
        subject=letter.subject,
        text=as_text(letter),
        message_id=f"<{key}@stadtmelder>",
        html=as_html(letter),
        unsubscribe_url=unsubscribe_url,
    )


# --- plain text -----------------------------------------------------------------------------


def as_text(letter: Letter) -> str:
    parts = [letter.greeting, *(_text_block(block) for block in letter.blocks), letter.signature]
    if letter.footer:
        parts.append("-- \n" + "\n\n".join(_text_block(block) for block in letter.footer))
    return "\n\n".join(parts) + "\n"


def _text_block(block: Block) -> str:
    match block:
        case Paragraph(text):
            return text
        case Quote(heading, text):
            return f"{heading}:\n" + "\n".join(f"    {line}" for line in text.splitlines())
        case Facts(items):
            return "\n".join(f"    {label} {value}" for label, value in items)
        case Links(intro, links):
            # Each address on a line of its own, so every client makes it clickable.
            return "\n\n".join([intro, *(f"{link.label}:\n{link.url}" for link in links)])


# --- HTML -----------------------------------------------------------------------------------

_TEXT = "margin:0 0 16px 0;"
_ITEM = "margin:0 0 8px 0;"
_LINK = "color:#004a8f;text-decoration:underline;"
_PAGE = (
    "max-width:600px;margin:0 auto;padding:24px 16px;font-family:Arial,Helvetica,sans-serif;"
    "font-size:16px;line-height:1.5;color:#1a1a1a;background-color:#ffffff;"
)
_QUOTE = "margin:0 0 16px 0;padding:8px 16px;border-left:4px solid #004a8f;background:#f0f4f8;"
_FOOTER = (
    "margin-top:32px;padding-top:16px;border-top:1px solid #b3b3b3;font-size:14px;color:#4d4d4d;"
)


def as_html(letter: Letter) -> str:
    body = "\n".join(
        [
            f'<p style="{_TEXT}">{escape(letter.greeting)}</p>',
            *(_html_block(block) for block in letter.blocks),
            f'<p style="{_TEXT}">{escape(letter.signature)}</p>',
        ]
    )
    footer = ""
    if letter.footer:
        inner = "\n".join(_html_block(block) for block in letter.footer)
        footer = f'\n<footer style="{_FOOTER}">\n{inner}\n</footer>'
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(letter.language)}" dir="ltr">\n'
        '<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(letter.subject)}</title>\n</head>\n"
        '<body style="margin:0;padding:0;background-color:#ffffff;">\n'
        f'<main style="{_PAGE}">\n{body}{footer}\n</main>\n'
        "</body>\n</html>\n"
    )


def _html_block(block: Block) -> str:
    match block:
        case Paragraph(text):
            return f'<p style="{_TEXT}">{escape(text)}</p>'
        case Quote(heading, text):
            lines = "<br>".join(escape(line) for line in text.splitlines())
            return (
                f'<blockquote style="{_QUOTE}">'
                f'<p style="margin:0 0 4px 0;font-weight:bold;">{escape(heading)}</p>'
                f'<p style="margin:0;">{lines}</p></blockquote>'
            )
        case Facts(items):
            rows = "".join(
                f'<dt style="font-weight:bold;">{escape(label)}</dt>'
                f'<dd style="margin:0 0 8px 0;">{escape(value)}</dd>'
                for label, value in items
            )
            return f'<dl style="{_TEXT}">{rows}</dl>'
        case Links(intro, links):
            entries = "".join(f'<li style="{_ITEM}">{_anchor(link)}</li>' for link in links)
            return (
                f'<p style="margin:0 0 8px 0;">{escape(intro)}</p>'
                f'<ul style="{_TEXT}padding-left:20px;">{entries}</ul>'
            )


def _anchor(link: Link) -> str:
    language = (
        f' lang="{escape(link.language)}" hreflang="{escape(link.language)}"'
        if link.language
        else ""
    )
    return (
        f'<a href="{escape(link.url, quote=True)}"{language} style="{_LINK}">'
        f"{escape(link.label)}</a>"
    )
