"""CCSDS Navigation Data Messages: OMM, OEM, OPM (read), CDM and TDM in KVN and XML.

One generic layer (:mod:`.kvn` lexer, :mod:`.xmlio` reader/writer, :mod:`.schema` keyword
tables) serves thin per-message schemas.  Readers accept a path, text or bytes and return a
list of messages (XML ``<ndm>`` containers may hold several); errors are
:class:`spacerange.errors.ParseError` naming file, line, keyword and reason.

Time systems: epochs are kept as ``datetime64[us]`` in the message's ``TIME_SYSTEM``;
:func:`to_utc` (and ``OemSegment.epochs_utc``) converts UTC/TAI/TT/GPS to UTC using
skyfield's builtin leap-second table.  OCM, AEM/APM/ACM are not supported.
"""

from .cdm import Cdm, CdmObject, read_cdm, write_cdm
from .message import detect_format
from .oem import Oem, OemCovariance, OemSegment, read_oem, write_oem
from .omm import Omm, read_omm, write_omm
from .opm import Opm, read_opm
from .schema import parse_epoch, to_utc
from .tdm import Tdm, TdmSegment, read_tdm, write_tdm

__all__ = [
    "Cdm",
    "CdmObject",
    "Oem",
    "OemCovariance",
    "OemSegment",
    "Omm",
    "Opm",
    "Tdm",
    "TdmSegment",
    "detect_format",
    "parse_epoch",
    "read_cdm",
    "read_oem",
    "read_omm",
    "read_opm",
    "read_tdm",
    "to_utc",
    "write_cdm",
    "write_oem",
    "write_omm",
    "write_tdm",
]
