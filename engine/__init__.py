"""weft's core library: plain Python over iterators, no Spark."""
