"""Sample feeds and images that `newsstand demo` serves from 127.0.0.1."""
