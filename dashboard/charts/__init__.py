"""Charts: pure functions from a polars DataFrame to a plotly Figure.

No Streamlit here, so every chart is testable on its own (base: shared
styling and the Today page's charts; timing; flow: timeline and workflow).
"""

from .base import *  # noqa: F401,F403
from .base import OKABE_ITO, WEEKDAYS, colour_map  # noqa: F401
from .flow import *  # noqa: F401,F403
from .timing import *  # noqa: F401,F403
