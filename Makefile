# gliner-litert: every target shares one virtual environment, created on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE ?= 1

MODEL ?= knowledgator/gliner-bi-base-v2.0
OUT ?= build/$(notdir $(MODEL))
ARTIFACTS ?= $(OUT)
SEQ_LENS ?=
LAYOUT ?= bundle
PRECISIONS ?= fp32 int8
TINY := tests/fixtures/tiny-trained
DEMO_OUT := build/tiny-trained

.PHONY: venv test test-slow fuzz convert validate card demo bench fixtures clean

venv: $(STAMP)

# torch first and pinned: an unpinned torch (or one pulled in by another package) is a multi-GB CUDA build.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# Two workers (pytest-xdist), each test file on one worker so its module fixtures are built once; the session's
# conversions are built once per run and shared (tests/conftest.py built_once). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: $(STAMP) gpu-adapter
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)
	$(MAKE) test-web

# Full-size conversions take up to 5 GB each: one process, never two at once.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# The runtime fuzz at 10,000 random examples (make test runs 500, the same ones each time).
fuzz: $(STAMP)
	GLINER_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest tests/test_runtime_fuzz.py --hypothesis-show-statistics

convert: $(STAMP)
	$(BIN)/python -m convert --model $(MODEL) --out $(OUT) --layout $(LAYOUT) --precisions $(PRECISIONS) \
		$(if $(SEQ_LENS),--seq-lens $(SEQ_LENS))

validate: $(STAMP)
	$(BIN)/python -m validate --model $(MODEL) --artifacts $(ARTIFACTS)

# The folder's README.md (model card) from manifest.json and report/report.json; `make validate` writes it too.
card: $(STAMP)
	$(BIN)/python -m validate.card --artifacts $(ARTIFACTS)

demo: $(STAMP)
	$(BIN)/python -m convert --model $(TINY) --out $(DEMO_OUT) --seq-lens 64 256 512 --precisions fp32 int8
	$(BIN)/python -m validate --model $(TINY) --artifacts $(DEMO_OUT)
	$(BIN)/python -m runtime --model $(DEMO_OUT) --labels person,organization,location,date,money \
		"Maria Garcia joined Acme Corp in Paris on May 3, 2021 and paid 200 dollars for a Galaxy S24."

bench: $(STAMP)
	$(BIN)/python -m scripts.bench --model $(MODEL) --artifacts $(ARTIFACTS)

clean:
	rm -rf build

# ---------------------------------------------------------------------------------------------- the web runtime
# web/: the LiteRT.js runtime (docs/WEB.md). test-web installs what it needs (npm ci; Debian's chromium when
# /usr/bin/chromium is missing, or fails naming the command), converts tiny-trained as a web bundle and as the
# seed's int64 files (refused by the web runtime), writes the Python runtime's answers, runs node --test on the pure
# modules, then drives headless Chromium through the demo page (web/browser/run.mjs; its screenshot goes to
# build/web-test/; `node web/browser/run.mjs --screenshot docs/web-demo.png` redraws the committed one).
WEB_TINY := build/tiny-trained-web
# A token-level model (span_mode token_level) through the same browser suite: its entities only.
TINY_TOKEN := tests/fixtures/tiny-token-trained
WEB_TOKEN := build/tiny-token-trained-web
WEB_PORT ?= 8321
CHROMIUM ?= /usr/bin/chromium
.PHONY: web web-deps test-web web-bench

web-deps:
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q && apt-get install -y -q chromium; } \
		|| { echo "error: no browser at $(CHROMIUM): install Debian's with: sudo apt-get install -y chromium" >&2; exit 1; }
	@test -x $(CHROMIUM) || { echo "error: no browser at $(CHROMIUM): install Debian's with: sudo apt-get install -y chromium" >&2; exit 1; }

test-web: $(STAMP) web-deps
	$(BIN)/python -m convert --model $(TINY) --out $(WEB_TINY) --web --precisions fp32 int8
	$(BIN)/python -m convert --model $(TINY) --out build/tiny-trained-seed --layout files --seq-lens 256 --precisions fp32
	$(BIN)/python -m convert --model $(TINY_TOKEN) --out $(WEB_TOKEN) --web --precisions fp32 int8
	$(BIN)/python -m scripts.web_expected --artifacts $(WEB_TINY) --out build/web-expected --token-artifacts $(WEB_TOKEN)
	cd web && node --test test/
	CHROMIUM=$(CHROMIUM) node web/browser/run.mjs --artifacts $(WEB_TINY) --token-artifacts $(WEB_TOKEN)

# Serves the repository with COOP/COEP (wasm threads) and prints the demo's URL; `make test-web` (or the convert line
# above) writes the tiny-trained web bundle it opens by default.
web: web-deps
	node web/serve.mjs --port $(WEB_PORT)

# The GPU accelerator's software adapter (mesa 25's lavapipe from bookworm-backports, unpacked into build/gpu-adapter,
# never installed over the system's): scripts/gpu_adapter.sh; `python -m validate --gpu` and tests/test_gpu.py use it.
GPU_ADAPTER := build/gpu-adapter
.PHONY: gpu-adapter
gpu-adapter: $(GPU_ADAPTER)/lvp_icd.json

$(GPU_ADAPTER)/lvp_icd.json: scripts/gpu_adapter.sh
	sh scripts/gpu_adapter.sh $(GPU_ADAPTER)

# docs/gpu-tiny-trained.json and docs/PHONE.md's GPU section: tiny-trained through validate --gpu on the whole suite.
GPU_OUT ?= build/tiny-trained-gpu
.PHONY: gpu-doc
gpu-doc: $(STAMP) gpu-adapter
	$(BIN)/python -m convert --model $(TINY) --out $(GPU_OUT) --seq-lens 64 256 512 --precisions fp32 int8
	$(BIN)/python -m validate --model $(TINY) --artifacts $(GPU_OUT) --gpu
	$(BIN)/python -m scripts.phone_gpu --report $(GPU_OUT)/report/report.json

# aarch64 kernels under emulation (issue #25; validate/arm64.py, scripts/arm64_env.py): qemu 10, Debian's arm64
# Python and the aarch64 wheels into .arm64/ (downloaded once, never installed over the host), tiny-trained
# converted on the host, validated with --arm64 (the runtime under qemu on neoverse-n1 and max against x86 and
# upstream), the arm64 tests (the qemu 7.2 control, the weight cache and file checks under qemu), then
# docs/arm64-tiny-trained.json and docs/PHONE.md's section. Everything CPU-heavy at the lowest priority.
ARM64_ENV ?= .arm64
ARM64_OUT ?= build/tiny-trained-arm64
NICE ?= nice -n 19

.PHONY: test-arm64
test-arm64: $(STAMP)
	$(NICE) $(BIN)/python -m scripts.arm64_env --dir $(ARM64_ENV) --with-qemu72
	$(NICE) $(BIN)/python -m convert --model $(TINY) --out $(ARM64_OUT) --seq-lens 64 128 256 512 --precisions fp32 int8
	$(NICE) $(BIN)/python -m validate --model $(TINY) --artifacts $(ARM64_OUT) --arm64 --arm64-env $(ARM64_ENV)
	$(NICE) $(BIN)/python -m pytest -m arm64 tests/test_arm64.py
	$(BIN)/python -m scripts.phone_arm64 --report $(ARM64_OUT)/report/report.json
