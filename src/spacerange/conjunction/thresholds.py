"""The collision-probability threshold the whole project acts on.

``PC_ALERT = 1e-4``: the NASA CARA remediation ("red") threshold for a conjunction (NASA
Conjunction Assessment Risk Analysis, *NASA Spacecraft Conjunction Assessment and
Collision Avoidance Best Practices Handbook*, NASA/SP-20230002470, 2023, sec. 6.2; also
the ESA default).  A team's picture alerts at or above it, the report draws it, the
avoidance planner aims below it, the scripted players re-plan above it, and the CLI's
screening summary counts events above it.  Change it here, nowhere else.
"""

from __future__ import annotations

__all__ = ["PC_ALERT"]

#: Pc at or above which a conjunction calls for action (CARA red threshold)
PC_ALERT = 1e-4
