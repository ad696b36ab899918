"""Draw docs/schedules.png, the README's plot: every family over one horizon (needs matplotlib).

    python docs/make_plot.py
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import fastlr  # noqa: E402

N = 10_000
PANELS = [
    ("seed schedules", [
        fastlr.StepDecay(0.1, 0.5, 2000),
        fastlr.ExponentialDecay(0.1, 3e-4),
        fastlr.CosineAnnealing(0.1, N, 1e-3),
        fastlr.Warmup(0.1, 3000),
        fastlr.Cyclical(0.1, 1250, 0.01),
    ]),
    ("decays", [
        fastlr.MultiStep(0.1, [3000, 6000, 8000], 0.3),
        fastlr.Polynomial(0.1, 0.0, N, 2.0),
        fastlr.InverseSqrt(0.1, 1000),
        fastlr.InverseTime(0.1, 1.0, 1000),
        fastlr.WarmupStableDecay(0.1, 1000, 5000, 3000, 1e-3, "sqrt"),
    ]),
    ("cycles and compositions", [
        fastlr.OneCycle(0.1, N),
        fastlr.Triangular(0.01, 0.1, 1000, mode="triangular2"),
        fastlr.WarmRestarts(0.1, 1000, 2, 1e-3, 0.7),
        fastlr.with_warmup(fastlr.CosineAnnealing(0.1, N - 1000, 1e-3), 1000),
    ]),
]


def label(s):
    text = repr(s)
    return text if len(text) < 70 else text[:67] + "..."


def main():
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(13, 9), sharex=True)
    for ax, (title, schedules) in zip(axes, PANELS):
        for s in schedules:
            ax.plot(s.array(N), label=label(s), lw=1.4)
        ax.set_title(title)
        ax.set_ylabel("learning rate")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step t")
    fig.tight_layout()
    path = Path(__file__).with_name("schedules.png")
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
