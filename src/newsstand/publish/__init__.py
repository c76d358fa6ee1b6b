"""Publishers: turn stored items into files (Hexo posts; the static site later)."""
