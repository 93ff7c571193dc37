"""HTML building blocks of the report: the stylesheet, tables and sections."""

from __future__ import annotations

from spacerange.exercise.report.text import _esc

_CSS = """
:root { --ink:#1a1a1a; --muted:#5f6368; --rule:#cfd8dc; --head:#0d2b4e; --band:#f3f6f9; }
* { box-sizing: border-box; }
html { font-size: 10.5pt; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; line-height: 1.4; }
main { max-width: 1100px; margin: 0 auto; padding: 2.6rem 1.6rem 2.6rem; }
.marking { position: fixed; left: 0; right: 0; z-index: 10; text-align: center;
  font-weight: 700; letter-spacing: .08em; font-size: 8.5pt; padding: 3px 0;
  background: #fff7d6; color: #7a1f1f; border-color: #d9b44a; border-style: solid; border-width: 0; }
.marking.top { top: 0; border-bottom-width: 1px; }
.marking.bottom { bottom: 0; border-top-width: 1px; }
.cover { text-align: center; padding: 2.2rem 0 1.4rem; border-bottom: 3px solid var(--head);
  margin-bottom: 1.2rem; }
.marking-big { display: inline-block; border: 3px solid #7a1f1f; color: #7a1f1f; font-weight: 800;
  letter-spacing: .25em; padding: .2rem 1rem; font-size: 15pt; }
h1 { color: var(--head); font-size: 22pt; margin: .8rem 0 .2rem; }
.subtitle { font-size: 13pt; color: var(--muted); margin: 0; }
.dates { font-weight: 600; margin: .4rem 0; }
.handling { font-size: 9pt; color: var(--muted); font-style: italic; }
h2 { color: var(--head); font-size: 15pt; border-bottom: 2px solid var(--head);
  padding-bottom: 2px; margin: 1.6rem 0 .6rem; break-after: avoid; }
h3 { color: var(--head); font-size: 11.5pt; margin: 1rem 0 .4rem; break-after: avoid; }
p { margin: .35rem 0 .55rem; }
.toc ol { columns: 2; margin: 0; list-style: none; padding-left: 1rem; }
.toc a { color: var(--head); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .9rem; font-size: 8.6pt; }
th, td { border: 1px solid var(--rule); padding: 3px 5px; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
thead th { background: var(--head); color: #fff; font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
tbody tr:nth-child(even) td:not(.r) { background: var(--band); }
table.kv th { width: 22%; background: var(--band); color: var(--ink); }
table.scores { width: auto; min-width: 40%; }
td.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.serial { font-family: "DejaVu Sans Mono", monospace; font-size: 7.4pt; white-space: nowrap; }
th { white-space: nowrap; }
table.fixed { table-layout: fixed; }
table.fixed th { white-space: normal; }
table.analysis th.team { text-align: center; width: 5.2rem; }
.small { font-size: 7.6pt; color: var(--muted); }
td.r { text-align: center; font-weight: 700; width: 5.2rem; }
.r-P { background: #2e7d32 !important; color: #fff; }
.r-S { background: #9ccc65 !important; color: #1b3a00; }
.r-M { background: #fb8c00 !important; color: #fff; }
.r-U { background: #c62828 !important; color: #fff; }
.r-none { color: var(--muted); }
.r-na { color: #9e9e9e; font-weight: 400; background: #fafafa !important; }
.chip { display: inline-block; min-width: 1.4rem; text-align: center; font-weight: 700;
  border-radius: 3px; padding: 0 4px; }
table.analysis tr.obj td { border-top: 2px solid var(--head); }
td.ok { color: #2e7d32; font-weight: 600; }
td.bad { color: #c62828; font-weight: 600; }
tr.skipped td { color: #9e9e9e; font-style: italic; }
td.placeholder { color: #9e9e9e; font-style: italic; white-space: nowrap; }
td.empty, p.empty { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 8.8pt; }
.legend { font-size: 8.8pt; }
.alert-text { color: #b71c1c; }
ul.cols { columns: 2; }
.cap { color: var(--muted); }
figure.plot { margin: .6rem 0 1rem; text-align: center; break-inside: avoid; }
figure.plot img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 8.6pt; color: var(--muted); margin-top: .2rem; text-align: left; }
table.timeline td { font-size: 8pt; padding: 2px 4px; }
tr.k-world_event td { color: #37474f; }
tr.k-action_rejected td { color: #b71c1c; }
@page { size: A4 landscape; margin: 14mm 10mm 13mm 10mm;
  @top-center { content: "EXERCISE \\2022  EXERCISE \\2022  EXERCISE"; font: 700 8pt "DejaVu Sans", sans-serif;
    color: #7a1f1f; letter-spacing: .08em; }
  @top-right { content: "__TITLE__"; font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
  @bottom-center { content: "EXERCISE \\2022  EXERCISE \\2022  EXERCISE"; font: 700 8pt "DejaVu Sans", sans-serif;
    color: #7a1f1f; letter-spacing: .08em; }
  @bottom-right { content: "page " counter(page) " of " counter(pages);
    font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
  @bottom-left { content: "After-Action Report / Improvement Plan"; font: 7.5pt "DejaVu Sans", sans-serif; color: #5f6368; }
}
@media print {
  html { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  .marking { display: none; }
  #analysis, #injects, #timeline, #event-analysis, #improvement-plan, #appendix
    { break-before: page; }
  .toc { break-after: page; }
  a { color: inherit; text-decoration: none; }
  figure.plot img { max-height: 74mm; width: auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _css() -> str:
    return _CSS


def _css_string(text: str) -> str:
    """``text`` as the inside of a CSS string literal."""
    return "".join(c if c.isalnum() or c in " -_.,:;()/'" else f"\\{ord(c):x} " for c in text)


def _table(
    headers: list[str], rows: list[str], cls: str = "", widths: list[float] | None = None
) -> str:
    th = "".join(f"<th>{h}</th>" for h in headers)
    cols = ""
    if widths:
        cols = "<colgroup>" + "".join(f'<col style="width:{w:g}%">' for w in widths) + "</colgroup>"
        cls += " fixed"
    body = (
        "".join(rows)
        if rows
        else (f'<tr><td colspan="{len(headers)}" class="empty">None recorded.</td></tr>')
    )
    return f'<table class="{cls}">{cols}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{_esc(title)}</h2>{body}</section>'
