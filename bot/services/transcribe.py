"""Voice answers: a voice message's audio to text through the endpoint's /audio/transcriptions."""

from __future__ import annotations

import asyncio
import logging

import httpx

from bot.config import Settings
from bot.domain.clock import Clock
from bot.services.llm_grader import LlmQuota, MemoryQuota

__all__ = ["MAX_VOICE_BYTES", "MAX_VOICE_SECONDS", "Transcriber", "TranscriptionFailed", "build_transcriber", "fits"]

logger = logging.getLogger(__name__)

# A voice answer longer than this is refused before anything is downloaded: it bounds the bill and the wait.
MAX_VOICE_BYTES = 2 * 1024 * 1024
MAX_VOICE_SECONDS = 120


def fits(seconds: float, size: int | None) -> bool:
    """Whether a voice message is short enough to transcribe (Telegram may leave its size out)."""
    return seconds <= MAX_VOICE_SECONDS and (size is None or size <= MAX_VOICE_BYTES)


class TranscriptionFailed(Exception):
    """The endpoint gave no usable transcript; the message says why, for the log."""


class Transcriber:
    """Sends audio (held in memory only, never stored) to an OpenAI-compatible transcription endpoint."""

    def __init__(self, settings: Settings, quota: LlmQuota, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if settings.llm_base_url is None or settings.transcribe_model is None:
            raise ValueError("LLM_BASE_URL and TRANSCRIBE_MODEL are required for voice answers")
        self._url = f"{settings.llm_base_url}/audio/transcriptions"
        self._model = settings.transcribe_model
        self._timeout = settings.llm_timeout
        headers = {}
        if settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(headers=headers, timeout=settings.llm_timeout, transport=transport)
        self._quota = quota

    async def allowed(self, user_id: int) -> bool:
        """Count one transcription against the user's hourly LLM allowance; False when it is spent."""
        return await self._quota.take(user_id)

    async def transcribe(self, audio: bytes, filename: str = "voice.ogg") -> str:
        """The text spoken in the audio; TranscriptionFailed on a timeout, an error or an empty reply."""
        files = {"file": (filename, audio, "audio/ogg")}
        data = {"model": self._model, "response_format": "json"}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.post(self._url, data=data, files=files)
        except (TimeoutError, httpx.TimeoutException):
            raise TranscriptionFailed(f"no reply within {self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise TranscriptionFailed(type(exc).__name__) from None
        if not response.is_success:
            raise TranscriptionFailed(f"HTTP {response.status_code}")
        try:
            text = response.json()["text"]
        except (ValueError, KeyError, TypeError):
            raise TranscriptionFailed("not a transcription") from None
        if not isinstance(text, str) or not text.strip():
            raise TranscriptionFailed("empty transcript")
        return text.strip()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def build_transcriber(
    settings: Settings, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
) -> Transcriber | None:
    """The transcriber when LLM_BASE_URL and TRANSCRIBE_MODEL are set, else None (voice asks for text)."""
    if settings.llm_base_url is None or settings.transcribe_model is None:
        return None
    return Transcriber(settings, MemoryQuota(settings.llm_max_per_user_hour, clock), transport)
