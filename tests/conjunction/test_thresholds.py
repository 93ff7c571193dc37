"""One Pc threshold: every module that acts on a collision probability reads
``spacerange.conjunction.thresholds.PC_ALERT`` (the NASA CARA red threshold, 1e-4)."""

from __future__ import annotations

import inspect

from spacerange.conjunction.thresholds import PC_ALERT


def test_cara_red_threshold():
    assert PC_ALERT == 1e-4


def test_every_user_reads_the_one_setting():
    from spacerange.exercise import autopilot, picture
    from spacerange.exercise.report import plots as report_plots
    from spacerange.maneuvers import avoidance

    assert picture.PC_ALERT is PC_ALERT
    assert report_plots.PC_ALERT is PC_ALERT
    assert autopilot.PC_MAX is PC_ALERT
    defaults = [p.default for _, f in inspect.getmembers(avoidance, inspect.isfunction)
                for n, p in inspect.signature(f).parameters.items()
                if n == "pc_max" and p.default is not p.empty]  # fmt: skip
    assert defaults and all(d is PC_ALERT for d in defaults)
