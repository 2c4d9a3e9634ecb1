"""Synthetic MoJ workbooks: writers that reproduce a documented layout, and its quirks, from given values.

No current-format weekly bulletin or monthly per-prison ODS is on the build machines, so the parsers are tested
(and benchmarked) on workbooks these functions write. The writers take the values to put in the cells, so a
test can fill them with real published figures (from the third-party parse in shared/data/raw) and check that
the parser gives exactly those back; the `synthetic_*` helpers make plausible values of realistic size when no
real figures are at hand.

The layouts come from secondhand notes (shared/research/data-sources.md, sections 1a and 1b). Where a cell
position is not documented, the writers choose a plausible one; the parsers must not depend on it, and the
`origin` argument shifts a whole sheet to prove they do not.
"""
from .monthly import (Establishment, establishments_from_prisoncap, synthetic_establishments,
                      write_monthly_bulletin)
from .weekly import (WeeklyBulletin, synthetic_weekly_series, weekly_values_from_prisoncap, write_weekly_a1,
                     write_weekly_a2, write_weekly_b, write_weekly_bulletin, write_weekly_series)

__all__ = [
    "Establishment", "establishments_from_prisoncap", "synthetic_establishments", "write_monthly_bulletin",
    "WeeklyBulletin", "synthetic_weekly_series", "weekly_values_from_prisoncap", "write_weekly_a1",
    "write_weekly_a2", "write_weekly_b", "write_weekly_bulletin", "write_weekly_series",
]
