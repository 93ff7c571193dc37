"""One constants module: every mu / Earth radius comes from ``spacerange.constants``, named
by its model (WGS-72 for SGP4, WGS-84 / EGM96 for numerical work and geodesy).

References: WGS-72 values of Hoots & Roehrich (1980) / Vallado et al. (2006); WGS-84 of
NIMA TR8350.2; EGM96 of Lemoine et al. (1998) (the header of the bundled coefficients).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from spacerange import constants as C

SRC = Path(__file__).resolve().parents[1] / "src" / "spacerange"


def test_values_are_the_published_ones():
    assert (C.MU_WGS72_KM3_S2, C.RE_WGS72_KM, C.J2_WGS72) == (398600.8, 6378.135, 0.001082616)
    assert (C.MU_WGS84_KM3_S2, C.RE_WGS84_KM) == (398600.4418, 6378.137)
    assert 1.0 / C.F_WGS84 == pytest.approx(298.257223563, abs=1e-9)
    assert C.EARTH_ROTATION_IERS_RAD_S == pytest.approx(
        2 * math.pi * 1.00273781191135448 / 86400.0, rel=1e-15
    )


def test_egm96_constants_match_the_bundled_field():
    from spacerange.propagation.numerical.gravity import egm96

    g = egm96()
    assert (g.gm_km3_s2, g.radius_km) == (C.MU_EGM96_KM3_S2, C.RE_EGM96_KM)


def test_no_module_defines_its_own_earth_constants():
    values = {C.MU_WGS72_KM3_S2, C.RE_WGS72_KM, C.J2_WGS72, C.MU_WGS84_KM3_S2, C.RE_WGS84_KM,
              C.MU_EGM96_KM3_S2, C.RE_EGM96_KM, C.EARTH_ROTATION_IERS_RAD_S,
              C.EARTH_ROTATION_VALLADO_RAD_S, C.OMEGA_WGS84_RAD_S}  # fmt: skip
    offenders = []
    for p in sorted(SRC.rglob("*.py")):
        if p.name == "constants.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and type(node.value) is float
                and node.value in values
            ):
                offenders.append(f"{p.relative_to(SRC)}:{node.lineno}: {node.value}")
    assert not offenders, "\n".join(offenders)
