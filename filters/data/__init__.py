"""Data the filters read (word lists, spaCy's tokeniser rules, tables built from them; SOURCE.txt says where each
comes from) and the offline scripts that rebuild the generated files (`make_*.py`, `build_stopwords.py`), run by
hand; tests rebuild the tables and compare. The scripts may import `filters` and, offline only, re's parser or
spaCy; nothing at run time imports them."""
