"""Memory and time of sending a 10-photo album to the model: the exact bytes vs bot.core.images.fit_for_model.

    python -m benchmarks.image_memory --images 10 --runs 3

Each variant runs in a fresh subprocess (so one variant's heap can't lend memory to the next) and builds the
chat request body the way the bot does: one user message whose parts are a text and one base64 data-URL
`image_url` per photo, encoded like httpx's `json=`. The album is generated once (4000x3000 noisy gradients,
JPEG quality 95, ~8 MB each) and cached in a temporary directory. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (4000, 3000)
QUALITY = 95
NOISE_SIGMA = 36  # tuned so that a photo is ~8 MB at quality 95
VARIANTS = {
    "exact": "old: the downloaded bytes as they are",
    "fitted": "new: fit_for_model, one photo after the other",
    "fitted-held": "new, but all 10 downloads kept until the body is built",
    "fitted-gather": "new, all at once: asyncio.gather of fit_for_model_async",
}


# --------------------------------------------------------------------------------------------- the album


def make_photo(index: int) -> bytes:
    """A photo-like JPEG: smooth colour gradients (turned differently per photo) under Gaussian sensor noise."""
    from PIL import Image

    down = Image.linear_gradient("L").rotate(index * 37)
    across = down.rotate(90)
    base = Image.merge("RGB", (down, across, across.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, NOISE_SIGMA) for _ in range(3)])
    photo = Image.blend(base.resize(SIZE, Image.Resampling.BICUBIC), noise, 0.5)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def album(directory: Path, count: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"photo-{index:02}.jpg" for index in range(count)]
    for index, path in enumerate(paths):
        if not path.exists():
            print(f"generating {path} …", flush=True)
            path.with_suffix(".tmp").write_bytes(make_photo(index))
            path.with_suffix(".tmp").rename(path)
    return paths


# --------------------------------------------------------------------------------------- child process


def status_mb(field: str) -> float:
    """A figure of /proc/self/status (VmRSS: now, VmHWM: peak), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def request_body(images: list[tuple[bytes, str]]) -> bytes:
    """What httpx sends for `json=`: the bot's chat request with one data-URL part per image."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": "What is in these photos?"}]
    for data, mime in images:
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        parts.append({"type": "image_url", "image_url": {"url": url}})
    payload = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": parts}]}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def fitted(data: bytes) -> tuple[bytes, str]:
    from bot.core.images import fit_for_model

    checked = fit_for_model(data)
    assert checked is not None
    return checked.data, checked.mime


def run_exact(paths: list[Path]) -> bytes:
    return request_body([(path.read_bytes(), "image/jpeg") for path in paths])


def run_fitted(paths: list[Path]) -> bytes:
    return request_body([fitted(path.read_bytes()) for path in paths])  # each download is dropped once fitted


def run_fitted_held(paths: list[Path]) -> bytes:
    downloads = [path.read_bytes() for path in paths]
    return request_body([fitted(data) for data in downloads])


def run_fitted_gather(paths: list[Path]) -> bytes:
    from bot.core.images import fit_for_model_async

    async def fit_all() -> list[tuple[bytes, str]]:
        results = await asyncio.gather(*(fit_for_model_async(path.read_bytes()) for path in paths))
        return [(r.data, r.mime) for r in results if r is not None]

    return request_body(asyncio.run(fit_all()))


RUNS: dict[str, Callable[[list[Path]], bytes]] = {
    "exact": run_exact,
    "fitted": run_fitted,
    "fitted-held": run_fitted_held,
    "fitted-gather": run_fitted_gather,
}


def child(variant: str, paths: list[Path]) -> None:
    import bot.core.images  # noqa: F401  (every variant pays for the same imports before "idle")

    idle = status_mb("VmRSS")
    start = time.perf_counter()
    body = RUNS[variant](paths)
    seconds = time.perf_counter() - start
    peak = status_mb("VmHWM")
    figures = {"idle": idle, "peak": peak, "growth": peak - idle, "body": len(body) / 1e6, "seconds": seconds}
    print(json.dumps(figures))


# -------------------------------------------------------------------------------------------- the report


def measure(variant: str, paths: list[Path]) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.image_memory", "--child", variant, *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10, help="photos in the album (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant; medians are printed (default 3)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "wenwen-image-memory")
    parser.add_argument("--child", choices=sorted(RUNS), help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths)
        return

    paths = album(args.dir / f"{SIZE[0]}x{SIZE[1]}-q{QUALITY}-s{NOISE_SIGMA}", args.images)
    sizes = [path.stat().st_size / 1e6 for path in paths]
    print(
        f"album: {len(paths)} JPEGs {SIZE[0]}x{SIZE[1]} q{QUALITY}, {min(sizes):.1f}–{max(sizes):.1f} MB each, "
        f"{sum(sizes):.1f} MB in all ({args.dir})"
    )
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    for _ in range(args.runs):  # interleaved, so that a slow moment of the machine hits every variant
        for variant in VARIANTS:
            runs[variant].append(measure(variant, paths))

    print(f"\nmedians of {args.runs} runs, each in a fresh process (MB = 10^6 bytes for the body, MiB for RSS)")
    print(f"{'variant':<14} {'idle RSS':>9} {'peak RSS':>9} {'peak-idle':>9} {'body MB':>8} {'time s':>7}  what")
    for variant, results in runs.items():
        med = {key: statistics.median(result[key] for result in results) for key in results[0]}
        print(
            f"{variant:<14} {med['idle']:>9.1f} {med['peak']:>9.1f} {med['growth']:>9.1f} "
            f"{med['body']:>8.1f} {med['seconds']:>7.2f}  {VARIANTS[variant]}"
        )


if __name__ == "__main__":
    main()
