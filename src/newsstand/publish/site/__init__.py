"""newsstand's own static site: stored entries straight to HTML, feeds and search.

``build.build_site`` plans every page (``plan``), renders the ones whose inputs changed
(``render``, in the run's worker processes when there are many) into a new tree beside
the old one (``tree``), re-indexes the search bundles that changed (``search``) and swaps
the new tree in.
"""

from .build import SiteResult, build_site
from .errors import SiteBusy, SiteError

__all__ = ["SiteBusy", "SiteError", "SiteResult", "build_site"]
