"""Tables of notifications: the in-page inbox of each user, and the outbox of events still to announce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.db import Base, BigIntPK, UTCDateTime, utcnow

__all__ = ["Notification", "OutboxEvent"]


class Notification(Base):
    """A message in a user's in-page inbox (a booking was approved, a car assigned …)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    text_zh: Mapped[str] = mapped_column(String(255))
    text_en: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxEvent(Base):
    """An event written in the transaction that caused it, published on the bus and posted to the webhook
    only after that transaction committed (transactional outbox: nothing is announced that did not happen).

    ``webhook_state``: ``pending`` → ``sent`` | ``failed`` (gave up) | ``skipped`` (no webhook configured).
    """

    __tablename__ = "dispatch_outbox"
    __table_args__ = (
        Index("ix_dispatch_outbox_webhook", "webhook_state", "webhook_next_at"),
        Index("ix_dispatch_outbox_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    webhook_state: Mapped[str] = mapped_column(String(8), default="pending")
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    webhook_error: Mapped[str | None] = mapped_column(String(255))
