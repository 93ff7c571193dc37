"""Pc / miss trend of one event against time to TCA (issue 17, pictures)."""

from __future__ import annotations

import numpy as np

from spacerange.conjunction.trend_plot import event_trend_plot, hours_to_tca


def test_hours_to_tca_and_png(tmp_path):
    tca = np.datetime64("2023-10-10T12:00:00", "us")
    created = [tca - np.timedelta64(h, "h") for h in (72, 36, 6)] + [tca + np.timedelta64(30, "m")]
    assert hours_to_tca(created, tca).tolist() == [72.0, 36.0, 6.0, -0.5]
    out = event_trend_plot(created, tca, [1e-6, None, 3e-4, float("nan")], [900, 400, 60, 55],
                           tmp_path / "trend.png")  # fmt: skip
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
