# The two commands a newcomer needs: `make run` and `make test` (see README.md).
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS ?=

.PHONY: all deps build run test unit e2e asan bench bench-smoke soak fuzz fuzz-build fuzz-smoke format clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/src/app/reportd serve --demo

test: build
	$(MAKE) unit e2e asan bench-smoke fuzz-smoke

unit:
	ctest --test-dir $(BUILD_DIR) --output-on-failure

e2e:
	ECHO_BIN=$(CURDIR)/$(BUILD_DIR)/examples/engineio-echo/engineio-echo \
	  node --test --test-concurrency=1 tests/e2e/*.test.mjs

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DREPORTD_SANITIZE=ON \
	  -DREPORTD_BUILD_SERVERS=OFF
	cmake --build $(ASAN_DIR) --target unit_tests auth_tests store_tests service_tests
	ctest --test-dir $(ASAN_DIR) --output-on-failure

# reportd side by side with the Node.js socket.io baseline and the WebSocket ceiling; writes
# bench/results/<date>.md (under 10 minutes).
bench: build
	/usr/bin/python3 bench/run.py

# The same harness at tiny sizes (under a minute), so that it cannot rot; asserts no speed.
bench-smoke:
	/usr/bin/python3 bench/run.py --smoke --out $(BUILD_DIR)/bench-smoke/results.md

# 19,000 WebSocket connections with churn and a steady comment rate for SOAK_MINUTES (default 30):
# RSS, descriptors and latency over time in bench/results/soak-<date>.md. Not part of make test.
soak: build
	/usr/bin/python3 bench/soak.py

# The libFuzzer targets of fuzz/ (clang, AddressSanitizer, UBSan); see fuzz/README.md.
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
	  -DCMAKE_CXX_COMPILER=clang++-14 -DREPORTD_FUZZ=ON -DREPORTD_BUILD_SERVERS=OFF
	CCACHE_NOHASHDIR=true nice -n 10 cmake --build $(FUZZ_DIR) --target fuzz_targets

# Each fuzz target (or FUZZ_TARGETS) for FUZZ_SECONDS; what it finds is kept for the next run.
fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Each fuzz target over its seeds plus FUZZ_SMOKE_SECONDS, from a fresh work corpus.
fuzz-smoke: fuzz-build
	fuzz/run.sh --fresh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

format:
	find src examples tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
