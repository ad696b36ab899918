"""Draw docs/cyclical-envelope.png: a 10^7-step triangular cycle (period 2000 steps, far below one
pixel column) overlaid with a cosine schedule with warmup, drawn by fastlr.plot.save_plot's
per-pixel min-max envelope (needs matplotlib).

    PYTHONPATH=. python docs/make_envelope_plot.py   (from the repository root)
"""
from pathlib import Path

import fastlr
from fastlr.plot import save_plot

N = 10**7


def main():
    triangular = fastlr.Triangular(0.01, 0.1, 1000)
    cosine = fastlr.with_warmup(fastlr.CosineAnnealing(0.1, N - N // 10, 1e-3), N // 10)
    path = save_plot(
        [triangular, cosine], Path(__file__).with_name("cyclical-envelope.png"), N,
        width=1000, height=420, dpi=100,
        labels=["Triangular(0.01, 0.1, step_size_up=1000): band = min..max per pixel, line = mean",
                "with_warmup(CosineAnnealing(0.1, 9e6, 1e-3), 1e6)"],
        title="10^7 steps, one bin per pixel column")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
