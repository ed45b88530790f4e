"""Progress bars for a collection run in a terminal: one bar for the whole run with its ETA
(position 0), and the bar of the cell being measured just below it.

Bars are drawn on stderr and only when stderr is a terminal (tqdm's `disable=None`): the
dashboard starts runs with stderr going to a log file and the scheduler runs them unattended,
and neither should keep hundreds of redrawn bar lines. Bars never touch rows or the ledger.
While bars are up, log lines (a run's warnings) are printed above them through tqdm, so a
warning neither breaks a bar nor is lost.
"""

from contextlib import ExitStack

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm


class Progress:
    """`with Progress(total, "all models", "request") as bars:` then `bars.cell(...)` per cell,
    `bars.advance(cell)` per finished request, `bars.skip(n)` for work that will not be done."""

    def __init__(self, total: int, desc: str, unit: str, enabled: bool = True):
        self.unit = unit
        self.disable = None if enabled else True  # None: only on a terminal
        self.overall = tqdm(total=total, desc=desc, unit=unit, position=0, disable=self.disable,
                            dynamic_ncols=True)
        self.stack = ExitStack()

    def __enter__(self) -> "Progress":
        if not self.overall.disable:
            self.stack.enter_context(logging_redirect_tqdm())
        return self

    def __exit__(self, *_exc) -> None:
        self.overall.close()
        self.stack.close()

    def cell(self, total: int, desc: str) -> tqdm:
        """A cell's bar under the overall one; it disappears when the cell is done."""
        return tqdm(total=total, desc=desc, unit=self.unit, position=1, leave=False,
                    disable=self.overall.disable, dynamic_ncols=True)

    def advance(self, cell: tqdm | None = None) -> None:
        """One request, item or step done (in `cell`, if the work has cells)."""
        if cell is not None:
            cell.update()
        self.overall.update()

    def grow(self, n: int) -> None:
        """Work known only once the run has read what it will do (a capability run's items)."""
        self.overall.total += n
        self.overall.refresh()

    def skip(self, n: int) -> None:
        """Work that will not be done (a model that cannot be reached) leaves the total, so
        the ETA counts only what is still to come and a run that ends normally reads N/N."""
        if n:
            self.overall.total -= n
            self.overall.refresh()

    def step(self, desc: str) -> None:
        """Name the step under way after the overall bar: a collector of a few steps and no
        cells (prices), and the first, uncounted phase of a model (checking its server,
        warming up), so a bar at 0/N for half a minute says what it is doing."""
        self.overall.set_postfix_str(desc)

