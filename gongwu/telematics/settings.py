"""Settings of the telematics package (environment prefix ``GONGWU_``), read only by the composition root.

Example: ``GONGWU_JT808_PORT=6808 GONGWU_GB32960_ENABLED=0 GONGWU_POSITION_RETENTION_DAYS=90``.
"""

from __future__ import annotations

import os
import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["TelematicsSettings"]


class TelematicsSettings(BaseSettings):
    """Gateways, sessions, the ingest pipeline, storage and retention, alarms."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_", extra="ignore")

    # -- gateways and sessions
    gateway_host: str = Field(
        "127.0.0.1", description="Address the terminal gateways bind (`0.0.0.0` to accept terminals from the network)."
    )
    jt808_enabled: bool = Field(True, description="Run the JT/T 808 gateway.")
    jt808_port: int = Field(6808, ge=0, le=65535, description="TCP port of the JT/T 808 gateway (0: any free port).")
    gb32960_enabled: bool = Field(True, description="Run the GB/T 32960 gateway.")
    gb32960_port: int = Field(
        32960, ge=0, le=65535, description="TCP port of the GB/T 32960 gateway (0: any free port)."
    )
    nmea_enabled: bool = Field(True, description="Run the NMEA 0183 gateway.")
    nmea_port: int = Field(10110, ge=0, le=65535, description="TCP port of the NMEA gateway (0: any free port).")
    gateway_reuse_port: bool = Field(
        False,
        description="Bind with SO_REUSEPORT, so several gateway processes on one host share the ports (the kernel "
        "spreads the connections; one process per core).",
    )
    gateway_id: str | None = Field(
        None, description="Name of this gateway process on the bus (commands, session registry); unset: host-pid."
    )
    idle_timeout_s: float = Field(
        180.0,
        gt=0,
        description="A connection that sends nothing for this long is closed (JT/T 808: 3 × the 60 s heartbeat "
        "interval a terminal uses by default).",
    )
    auth_timeout_s: float = Field(
        60.0, gt=0, description="A connection that has not authenticated (or logged in) within this time is closed."
    )
    garbage_limit_bytes: int = Field(
        16_384,
        ge=256,
        description="A connection that sends this many bytes that are no frame, or 20 undecodable frames in a "
        "row, is closed (a garbage flood closes that connection and no other).",
    )
    max_frames_per_s: float = Field(
        100.0,
        gt=0,
        description="Frames one connection may send per second on average; a faster sender is slowed down (its "
        "connection is read no faster), never cut off.",
    )
    frame_burst: int = Field(
        1000, ge=1, description="Frames one connection may send at once above that rate (a blind-area upload)."
    )
    jt808_subpackage_timeout_s: float = Field(
        60.0,
        gt=0,
        description="A JT/T 808 message in sub-packages (分包) whose parts have not all arrived within this time is "
        "dropped with the parts received (each part was acked, the whole message never is).",
    )
    gb32960_max_frame_bytes: int = Field(
        16_384,
        ge=1024,
        le=65_560,
        description="Longest GB/T 32960 frame accepted (the standard allows 64 KiB; a real report is a few KiB). "
        "JT/T 808 frames are at most 4 KiB and NMEA lines 256 bytes by their standards.",
    )
    write_buffer_max_bytes: int = Field(
        262_144,
        ge=4096,
        description="A connection whose unsent answers (acks, commands) exceed this is closed: the terminal is "
        "not reading them (a slow or stuck client must not grow the gateway's memory).",
    )
    auth_max_failures: int = Field(
        5,
        ge=1,
        description="Failed authentications (JT/T 808 0x0102 with a wrong code; registrations) of one terminal "
        "within AUTH_LOCKOUT_S before it is locked out for the rest of that window; a connection is closed "
        "after 3 failures. Counted in Redis when configured (every gateway sees the same count).",
    )
    auth_lockout_s: float = Field(
        900.0, gt=0, description="The window of AUTH_MAX_FAILURES, and how long a locked-out terminal waits."
    )
    tcp_keepalive_s: float = Field(
        60.0,
        ge=0,
        description="TCP keepalive on terminal connections: probe after this many idle seconds, 3 probes 10 s "
        "apart, so a half-open connection (the car drove into a tunnel and its modem reset) is noticed before "
        "the idle time-out (0: off).",
    )
    auto_provision: bool = Field(
        False,
        description="Provision unknown terminals on first contact, with a placeholder car (demo and load "
        "benchmark only; a fleet manager provisions terminals in production).",
    )
    auto_provision_unit: str | None = Field(
        None, description="Code of the unit that owns auto-provisioned placeholder cars (default: the first root)."
    )
    gnss_utc_offset_hours: float = Field(
        8.0, description="Offset of the wall clock of JT/T 808 and GB/T 32960 terminals (Beijing time: 8)."
    )

    # -- pipeline and storage
    batch_max_rows: int = Field(2000, ge=1, description="Most positions written in one batch (one COPY).")
    batch_max_ms: float = Field(
        25.0, gt=0, description="Longest a position waits for its batch to fill before the batch is written."
    )
    writer_concurrency: int = Field(
        2, ge=1, le=16, description="Batches written at the same time (acks and events still leave in order)."
    )
    max_future_s: float = Field(
        600.0, ge=0, description="A device time further ahead of the server clock is flagged and replaced by it."
    )
    max_speed_kmh: float = Field(
        400.0, gt=0, description="A jump implying a higher speed than this is flagged as impossible."
    )
    moving_speed_kmh: float = Field(3.0, ge=0, description="At or above this speed a car counts as moving.")
    positions_stream_maxlen: int = Field(
        1_000_000,
        ge=1000,
        description="Redis: about how many position events the `telematics.positions` stream keeps (a consumer "
        "further behind than this misses events).",
    )
    position_retention_days: int = Field(
        180, ge=1, description="Raw positions are kept this many days (trips and daily summaries are kept for good)."
    )
    partitions_ahead_days: int = Field(
        3, ge=1, description="PostgreSQL: daily partitions of positions created this many days ahead."
    )

    # -- live state, trips, alarms
    offline_after_s: float = Field(
        300.0, gt=0, description="A car that reported nothing for this long is shown offline."
    )
    offline_alarm_after_s: float = Field(
        1800.0, gt=0, description="A terminal silent for this long raises an offline alarm."
    )
    trip_stop_after_s: float = Field(
        300.0, gt=0, description="Standing still (ignition on) this long ends a trip; the standstill is a stop."
    )
    trip_gap_s: float = Field(1800.0, gt=0, description="A gap in the data this long ends an open trip.")
    default_speed_limit_kmh: float = Field(
        120.0, gt=0, description="Overspeed limit of a car that has no limit of its own and is in no speed zone."
    )
    low_soc_pct: float = Field(15.0, ge=0, le=100, description="A new-energy car's SOC below this raises an alarm.")
    command_timeout_s: float = Field(
        60.0, gt=0, description="A command sent to a terminal and not answered within this time times out."
    )
    consumer_claim_idle_ms: int = Field(
        15_000,
        ge=100,
        description="Events a consumer took and did not finish for this long (it died) are claimed by another.",
    )
    consumers_enabled: bool = Field(
        True, description="`gongwu serve` also runs the bus consumers (live state, trips, geofences, alarms)."
    )

    def resolved_gateway_id(self) -> str:
        """This process's gateway name: the configured one, or host-pid."""
        return self.gateway_id or f"{socket.gethostname()}-{os.getpid()}"
