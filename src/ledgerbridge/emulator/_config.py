"""The emulator's knobs: limits, latency, time scale, webhook and requestid windows."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EmulatorConfig", "Limits"]


@dataclass(frozen=True)
class Limits:
    """Intuit's throttles per company and app (section 5); each can be changed for tests."""

    requests_per_minute: int = 500
    requests_per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    batch_max_items: int = 30


@dataclass(frozen=True)
class EmulatorConfig:
    """Knobs of one emulator instance; ``PUT /_emulator/config`` replaces them at run time."""

    #: skip the consent page: authorize straight away for the newest company
    auto_approve: bool = False
    #: how many requests the log keeps (oldest dropped first)
    request_log_size: int = 10_000
    #: added to every data-API request
    latency_ms: float = 0
    #: added per item inside a batch request
    batch_item_latency_ms: float = 0
    #: every per-minute and per-second window, token lifetime and webhook delay shrinks
    #: this many times, so an hour of QBO behaviour runs in minutes
    time_scale: float = 1
    limits: Limits = field(default_factory=Limits)
    #: Intuit's shortest production aggregation window (sandbox is near real time)
    webhook_delay_seconds: float = 60
    #: how long a superseded refresh token keeps working (Intuit: 24 hours); 0 makes every
    #: refresh race visible, as a test of single-flight refresh wants
    refresh_token_grace_seconds: float = 86_400
    #: how long a requestid's response is replayed (Intuit does not say; UNVERIFIED)
    requestid_window_seconds: float = 86_400

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.latency_ms < 0 or self.batch_item_latency_ms < 0:
            raise ValueError("latency must not be negative")
        if self.webhook_delay_seconds < 0:
            raise ValueError("webhook_delay_seconds must not be negative")
        if self.requestid_window_seconds < 0:
            raise ValueError("requestid_window_seconds must not be negative")
        if self.refresh_token_grace_seconds < 0:
            raise ValueError("refresh_token_grace_seconds must not be negative")
        for name in (
            "requests_per_minute",
            "requests_per_second",
            "concurrent",
            "batch_per_minute",
            "batch_max_items",
        ):
            if getattr(self.limits, name) < 1:
                raise ValueError(f"limits.{name} must be at least 1")

    def scaled(self, seconds: float) -> float:
        """A duration of QBO time in the emulator's (time-scaled) seconds."""
        return seconds / self.time_scale
