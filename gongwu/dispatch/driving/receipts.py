"""Receipt photos: checked to be an image by their first bytes (not by what the browser claims), bounded in
size, stored under ``DATA_DIR/uploads/receipts/YYYY/MM/`` with a random name."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gongwu.dispatch.driving.errors import BadReceipt

__all__ = ["StoredReceipt", "image_type", "open_receipt", "store_receipt"]

TYPES = {"jpeg": ("image/jpeg", "jpg"), "png": ("image/png", "png"), "webp": ("image/webp", "webp"),
         "heic": ("image/heic", "heic")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    path: str
    """Relative to the uploads folder."""
    content_type: str
    size: int
    sha256: str


def image_type(data: bytes) -> str | None:
    """``jpeg``, ``png``, ``webp``, ``heic`` from the file's magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "heic"
    return None


def store_receipt(uploads: Path, data: bytes, *, max_bytes: int, at: datetime) -> StoredReceipt:
    if not data:
        raise BadReceipt(
            "Attach a photo of the receipt (请上传票据照片).",
            code="dispatch.receipt_required",
            message_zh="请上传票据照片。",
        )
    if len(data) > max_bytes:
        raise BadReceipt(
            f"The photo is {len(data) / 1e6:.1f} MB; at most {max_bytes / 1e6:.0f} MB (照片过大).",
            code="dispatch.receipt_too_large",
            message_zh=f"照片过大：{len(data) / 1e6:.1f} MB，最大 {max_bytes / 1e6:.0f} MB。",
            details={"bytes": len(data), "max_bytes": max_bytes},
        )
    kind = image_type(data)
    if kind is None:
        raise BadReceipt(
            "The receipt must be a photo: JPEG, PNG, WebP or HEIC (票据须为图片).",
            code="dispatch.receipt_not_image",
            message_zh="票据须为图片：JPEG、PNG、WebP 或 HEIC。",
        )
    content_type, ext = TYPES[kind]
    relative = Path("receipts") / f"{at:%Y}" / f"{at:%m}" / f"{secrets.token_hex(12)}.{ext}"
    target = uploads / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return StoredReceipt(relative.as_posix(), content_type, len(data), hashlib.sha256(data).hexdigest())


def open_receipt(uploads: Path, relative: str) -> Path:
    """The stored file (refuses paths that leave the uploads folder)."""
    base = uploads.resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        raise BadReceipt("The receipt file is missing.", code="dispatch.receipt_missing", message_zh="票据文件不存在。")
    return path
