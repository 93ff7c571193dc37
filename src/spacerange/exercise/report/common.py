"""Vocabulary shared by the report modules: ratings, colours, expected-action kinds."""

from __future__ import annotations

_DASH = "\u2014"

#: HSEEP rating -> (background colour, meaning)
RATING_COLORS: dict[str, tuple[str, str]] = {
    "P": ("#2e7d32", "Performed without challenges"),
    "S": ("#9ccc65", "Performed with some challenges"),
    "M": ("#fb8c00", "Performed with major challenges"),
    "U": ("#c62828", "Unable to be performed"),
}
_ORDER = "PSMU"
#: Pc below this is drawn at this value (the plot would otherwise span hundreds of decades)
PC_FLOOR = 1e-10

#: scenario expected-action kind -> action kinds of the engine contract that satisfy it
_SATISFIES: dict[str, set[str]] = {
    "assessment": {"assessment"},
    "report": {"report", "notify"},
    "notification": {"notification", "notify"},
    "tasking": {"tasking"},
    "maneuver": {"maneuver"},
    "countermeasure": {"countermeasure", "relocate", "maneuver", "notify", "tasking"},
    "data_share": {"data_share", "share"},
    "catalog_update": {"catalog_update", "tasking", "assessment"},
    "reentry_prediction": {"reentry_prediction", "assessment"},
    "breakup_attribution": {"breakup_attribution"},
    "coordination": {"coordination", "rfi", "notify", "share"},
}
#: standard corrective action of an area for improvement, by expected-action kind
_CORRECTIVE = {
    "assessment": "Rehearse the threat-assessment checklist; set a watch-floor timer on "
    "every new alert and brief the assessment template",
    "report": "Write a reporting SOP with trigger criteria and a pre-filled report format",
    "notification": "Maintain a contact list of operators and allies; drill notifications",
    "tasking": "Pre-plan sensor tasking priorities for outages and storms",
    "maneuver": "Train manoeuvre planning and screening to meet TCA - 6 h decision times",
    "countermeasure": "Document protective options per asset and their decision authority",
    "data_share": "Automate sharing under the standing agreements (OMM/CDM push)",
    "catalog_update": "Train new-object correlation and cataloguing procedures",
    "reentry_prediction": "Train re-entry prediction with uncertainty and its publication",
    "breakup_attribution": "Train debris trace-back (breakup epoch and parent) from the "
    "team's own catalogue",
    "coordination": "Establish coordination channels with allied SSA centres",
}
