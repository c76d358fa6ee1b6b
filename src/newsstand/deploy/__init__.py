"""Deploys: the site and the Hexo posts pushed to git branches (``site``), and the store
kept on a data branch between CI runs (``store``), over the plumbing in ``git``."""
