"""XML CDMs written by ``screen --cdm-format XML`` and by :func:`write_cdm` validate against
the CCSDS NDM/XML 2.0.0 CDM 1.0 schema's generated bindings (``ccsds-ndm`` 2.2; see
``ndm_bindings.py`` for what that does and does not cover), and deliberately broken CDMs
do not."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from spacerange.ccsds import read_cdm, write_cdm
from spacerange.cli.app import app

pytest.importorskip("ccsds_ndm")
pytest.importorskip("xsdata")

from ndm_bindings import validate_cdm_xml  # noqa: E402


@pytest.fixture(scope="module")
def xml_cdms(tmp_path_factory):
    from spacerange.catalog.synth import synthesize

    d = tmp_path_factory.mktemp("xmlcdm")
    pop = synthesize(300, 3)
    (d / "c.tle").write_text("\n".join(f"{e.line1}\n{e.line2}" for e in pop.elsets) + "\n")
    for _ in (1, 2):  # the second run adds PREVIOUS_MESSAGE_ID comments
        res = CliRunner().invoke(app, [
            "screen", "--catalog", str(d / "c.tle"), "--start", "2023-10-09T01:00Z",
            "--span", "3h", "--threshold", "2x20x20km", "--hbr", "200", "--cdm-format", "XML",
            "--cdm-dir", str(d / "out"), "--json"])  # fmt: skip
        assert res.exit_code == 0, res.output
    files = sorted((d / "out").glob("*.xml"))
    assert len(files) == 2 * json.loads(res.stdout.strip().splitlines()[-1])["cdms"] > 0
    return files


def test_screen_xml_cdms_validate(xml_cdms):
    for f in xml_cdms:
        text = f.read_text()
        assert validate_cdm_xml(text) == [], f.name
        cdm = read_cdm(f)[0]  # and our reader takes them back
        assert cdm.relative["COLLISION_PROBABILITY_METHOD"] == "FOSTER-1992"
        assert any(c.startswith("VIOLATIONS_2D = ") for c in cdm.header["COMMENT"])


def test_kvn_cdms_rewritten_as_xml_validate(shared_data, tmp_path):
    """CARA's sample CDMs (CDM 1.0 keywords), read and written back as XML."""
    for name in ("AlfanoTestCase03.cdm", "AlfanoTestCase11.cdm"):
        cdm = read_cdm(shared_data / "pc" / "sample_cdms" / name)[0]
        assert validate_cdm_xml(write_cdm(cdm, fmt="XML")) == [], name


def _swap(text: str, a: str, b: str) -> str:
    """Swap the first <a>...</a> element with the first <b>...</b> element."""
    ea = re.search(rf"<{a}\b[^>]*>.*?</{a}>", text).group(0)
    eb = re.search(rf"<{b}\b[^>]*>.*?</{b}>", text).group(0)
    return text.replace(ea, "\0").replace(eb, ea).replace("\0", eb)


BROKEN = {
    "keyword order": lambda t: _swap(t, "TCA", "MISS_DISTANCE"),
    "covariance order": lambda t: _swap(t, "CR_R", "CT_R"),
    "comment after a keyword": lambda t: t.replace("</TCA>", "</TCA><COMMENT>late</COMMENT>", 1),
    "missing MESSAGE_ID": lambda t: re.sub(r"<MESSAGE_ID>.*?</MESSAGE_ID>", "", t),
    "missing OBJECT2": lambda t: t[: t.rindex("<segment>")] + "</body></cdm>\n",
    "CDM 2.0 keyword": lambda t: t.replace("<TCA>", "<CONJUNCTION_ID>X</CONJUNCTION_ID><TCA>", 1),
    "object type": lambda t: re.sub(r"<OBJECT_TYPE>[^<]*<", "<OBJECT_TYPE>SATELLITE<", t, count=1),
    "units": lambda t: t.replace('<MISS_DISTANCE units="m">', '<MISS_DISTANCE units="km">', 1),
    "probability above 1": lambda t: re.sub(
        r"<COLLISION_PROBABILITY>[^<]*<", "<COLLISION_PROBABILITY>1.5<", t, count=1),
    "TCA format": lambda t: re.sub(r"<TCA>[^<]*<", "<TCA>9 Oct 2023 01:00<", t, count=1),
    "version": lambda t: t.replace('CDM_VERS" version="1.0"', 'CDM_VERS" version="3.0"', 1),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_cdms_fail(xml_cdms, kind):
    text = xml_cdms[0].read_text()
    broken = BROKEN[kind](text)
    assert broken != text
    try:
        problems = validate_cdm_xml(broken)
    except Exception as exc:  # xsdata's strict parser refused it
        problems = [f"{type(exc).__name__}: {exc}"]
    assert problems, kind
