"""A user's token usage, summed for today and the last 30 days, per model."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from storage import UsageRepository


@dataclass(frozen=True, slots=True)
class ModelUsage:
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class UsageSummary:
    today: list[ModelUsage]
    month: list[ModelUsage]


def _sum(rows: list[tuple[str, int, int, int]]) -> list[ModelUsage]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for model, requests, prompt, completion in rows:
        totals[model][0] += requests
        totals[model][1] += prompt
        totals[model][2] += completion
    ranked = sorted(totals.items(), key=lambda item: -(item[1][1] + item[1][2]))
    return [ModelUsage(model, *values) for model, values in ranked]


async def usage_report(usage: UsageRepository, user_id: int, today_date: date) -> UsageSummary:
    rows = await usage.for_user(user_id, today_date, days=30)
    today = today_date.isoformat()
    return UsageSummary(
        today=_sum([(r.model, r.requests, r.prompt_tokens, r.completion_tokens) for r in rows if r.day == today]),
        month=_sum([(r.model, r.requests, r.prompt_tokens, r.completion_tokens) for r in rows]),
    )
