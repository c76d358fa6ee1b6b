"""What can stop a site build; each message is one line that says what to do."""


class SiteError(Exception):
    """The site could not be built; the old site is left as it was."""


class SiteBusy(SiteError):
    """Another build is writing this site."""
