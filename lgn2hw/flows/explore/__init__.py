"""``lgn2hw explore``: accuracy against LUTs over a grid of architectures, and its Pareto front.

Every point (layer widths x thresholds x random or learned connections x pool sizes) is trained,
compiled with the input encoder inside the RTL (uint8 pixels in), and its LUT6 estimated in
milliseconds (lgn2hw.backend.synth.estimate); Yosys then counts the points on the estimated front (or
all, or none), and the front is reported as a table, a PNG and one preset file per point.

Layout of the output directory::

    OUTDIR/explore.json                         shared settings and the grid (other settings are refused)
    OUTDIR/points/<point>/model.pt, rtl/        the trained model and its compiled build (synth.json once counted)
    OUTDIR/points/<point>/result.json           accuracy, gates, estimate, Yosys counts (resume skips it)
    OUTDIR/results.csv, results.md, pareto.png  every point, the front marked
    OUTDIR/presets/<point>.json                 ``lgn2hw train --preset OUTDIR/presets/<point>.json`` retrains it
"""

from .grid import EXPLORE_FILE, ExploreConfig, Point
from .report import estimate_error, pareto_front
from .run import ExploreResult, run_explore

__all__ = ["EXPLORE_FILE", "ExploreConfig", "ExploreResult", "Point", "estimate_error", "pareto_front", "run_explore"]
