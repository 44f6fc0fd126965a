"""``gongwu frames``: decode and build terminal frames by hand (for field engineers testing a terminal).

``decode`` prints one JSON object per frame — the raw decoded fields and the normalised ``position``
(``time`` in ISO 8601 UTC, ``…Z``); a bad frame prints ``error: <protocol> offset <n>: <reason> (bytes: …)``
on stderr and the command exits 2. ``encode`` builds a frame from JSON and prints its hex.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer

from gongwu.devices import (
    DecodeError,
    EncodeError,
    Gb32960DecodeError,
    Jt808DecodeError,
    NmeaDecodeError,
    Position,
    gb32960,
    jt808,
    nmea,
)
from gongwu.devices.jsonview import from_jsonable, to_jsonable

app = typer.Typer(
    help="Decode and encode terminal frames (JT/T 808, GB/T 32960, NMEA 0183).",
    no_args_is_help=True,
    add_completion=False,
)


class Protocol(StrEnum):
    jt808 = "jt808"
    gb32960 = "gb32960"
    nmea = "nmea"


_ERRORS: dict[Protocol, type[DecodeError]] = {
    Protocol.jt808: Jt808DecodeError,
    Protocol.gb32960: Gb32960DecodeError,
    Protocol.nmea: NmeaDecodeError,
}


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    try:
        return sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an offset like +08:00") from None


def _inputs(protocol: Protocol, frame: str) -> Iterator[bytes]:
    lines: Iterable[str] = sys.stdin if frame == "-" else [frame]
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if protocol is Protocol.nmea and text.startswith(("$", "!")):
            yield text.encode("ascii", "replace")
            continue
        compact = "".join(text.split())
        try:
            yield bytes.fromhex(compact)
        except ValueError:
            raise _ERRORS[protocol]("input is not hexadecimal", compact.encode(), 0) from None


def _frames(protocol: Protocol, data: bytes) -> list[bytes]:
    framer: jt808.Jt808Framer | gb32960.Gb32960Framer | nmea.NmeaFramer
    if protocol is Protocol.jt808:
        framer = jt808.Jt808Framer()
    elif protocol is Protocol.gb32960:
        framer = gb32960.Gb32960Framer()
    else:
        framer = nmea.NmeaFramer()
        return framer.feed(data + b"\n") or [data]
    return framer.feed(data) or [data]


def _decode(protocol: Protocol, frame: bytes, offset: timedelta, tolerant: bool, terminal: str) -> dict[str, Any]:
    positions: list[Position]
    message: Any
    if protocol is Protocol.jt808:
        message = jt808.decode(frame, utc_offset=offset, strict=not tolerant)
        positions = jt808.positions(message)
    elif protocol is Protocol.gb32960:
        message = gb32960.decode(frame, utc_offset=offset)
        positions = gb32960.positions(message)
    else:
        message = nmea.decode(frame)
        found = nmea.NmeaSession(terminal).add(message)
        positions = [] if found is None else [found]
    out: dict[str, Any] = {"protocol": protocol.value, "hex": frame.hex(), "message": to_jsonable(message)}
    out["position"] = positions[0].to_json() if positions else None
    if len(positions) > 1:
        out["positions"] = [p.to_json() for p in positions]
    return out


@app.command()
def decode(
    frame: Annotated[
        str,
        typer.Argument(help="The frame as hex (several frames may follow each other), or - for hex lines on stdin."),
    ],
    protocol: Annotated[Protocol, typer.Option("--protocol", "-p", help="Which protocol the bytes speak.")],
    utc_offset: Annotated[
        str, typer.Option(help="Offset of the terminal's clock (terminals abroad send UTC: +00:00).")
    ] = "+08:00",
    tolerant: Annotated[bool, typer.Option(help="JT/T 808 only: accept wrong check codes and body lengths.")] = False,
    terminal: Annotated[str, typer.Option(help="NMEA only: the terminal id to put in the position.")] = "nmea",
) -> None:
    """Decode frames; print one JSON object per frame."""
    offset = _offset(utc_offset)
    failed = False
    try:
        for data in _inputs(protocol, frame):
            for one in _frames(protocol, data):
                try:
                    typer.echo(json.dumps(_decode(protocol, one, offset, tolerant, terminal), ensure_ascii=False))
                except DecodeError as exc:
                    typer.echo(f"error: {exc}", err=True)
                    failed = True
    except DecodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        failed = True
    if failed:
        raise typer.Exit(2)


def _build(protocol: Protocol, spec: dict[str, Any], offset: timedelta) -> bytes:
    if protocol is Protocol.jt808:
        fields = dict(spec)
        msg_id = int(str(fields.pop("msg_id")), 0)
        header_fields = {k: fields.pop(k) for k in ("phone", "serial", "edition", "protocol_version") if k in fields}
        body_fields = fields.pop("body", fields)
        body_cls = jt808.body_type(msg_id)
        if body_cls is None:
            raise EncodeError(f"no body type for msg_id 0x{msg_id:04x}; give a known message id")
        body = from_jsonable(body_cls, body_fields, "body")
        header = from_jsonable(jt808.Header, {"msg_id": msg_id, "phone": "0", "serial": 0, **header_fields}, "header")
        return jt808.encode(jt808.Jt808Message(header, body), utc_offset=offset)
    if protocol is Protocol.gb32960:
        fields = dict(spec)
        fields["command"] = int(str(fields.get("command", "0x02")), 0)
        fields["response"] = int(str(fields.get("response", "0xFE")), 0)
        fields.setdefault("edition", "2016")
        return gb32960.encode(from_jsonable(gb32960.Gb32960Message, fields, "message"), utc_offset=offset)
    sentence = from_jsonable(nmea.Sentence, spec, "sentence")
    return nmea.encode(sentence)


@app.command()
def encode(
    protocol: Annotated[Protocol, typer.Option("--protocol", "-p", help="Which protocol to build.")],
    json_spec: Annotated[
        str | None,
        typer.Option(
            "--json",
            help='The message as JSON, e.g. {"msg_id": "0x8300", "phone": "13800000001", '
            '"flags": 8, "text": "…"}; read from stdin when absent.',
        ),
    ] = None,
    utc_offset: Annotated[str, typer.Option(help="Offset of the terminal's clock for times in the frame.")] = "+08:00",
) -> None:
    """Build a frame from JSON and print it as hex."""
    text = json_spec if json_spec is not None else sys.stdin.read()
    try:
        spec = json.loads(text)
        if not isinstance(spec, dict):
            raise EncodeError("the JSON must be an object")
        typer.echo(_build(protocol, spec, _offset(utc_offset)).hex())
    except (json.JSONDecodeError, EncodeError, KeyError) as exc:
        typer.echo(f"error: {protocol.value}: {exc}", err=True)
        raise typer.Exit(2) from None
