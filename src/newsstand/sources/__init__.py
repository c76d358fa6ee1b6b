"""Where feeds come from: the RSSHub route catalog, OPML, feed discovery, migration."""
