"""What the tests share: feed documents and configs on disk, the command line (in this
process or as a real process), loopback servers, real Hexo, and checks of what a run wrote.

Test modules import from here, never from one another.
"""
