# The two commands a newcomer needs: `make run` and `make test` (see README.md).
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# Debug information is line tables only (-g1): enough for profiles and sanitizer stack traces,
# and it halves the compile time of the Asio/Beast-heavy files (73 s -> 40 s for
# http_connection.cpp), which dominates `make test` on two cores.
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DREPORTD_WERROR=ON
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
# 10 s a target in `make test` (which must stay under 40 minutes): its seeds plus a short run;
# `make fuzz` is the long search.
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS ?=
# Sanitizer builds keep their asserts and are optimised a little, so that the end-to-end suites
# run at a usable speed; they build no benchmark tools.
SANITIZER_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DREPORTD_BUILD_BENCH=OFF -DREPORTD_WERROR=ON
E2E = node --test --test-concurrency=1

# The environment that points the end-to-end tests at the servers built in directory $(1).
e2e_servers = REPORTD_BIN=$(CURDIR)/$(1)/src/app/reportd \
  ECHO_BIN=$(CURDIR)/$(1)/examples/engineio-echo/engineio-echo \
  PROTOCOL_ECHO_BIN=$(CURDIR)/$(1)/examples/protocol-echo/protocol-echo \
  SOCKETIO_TEST_SERVER_BIN=$(CURDIR)/$(1)/tests/servers/socketio-test-server

.PHONY: all deps build run deb test unit e2e consumer package-test asan tsan bench bench-smoke bench-spread soak fuzz fuzz-build fuzz-smoke format clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/src/app/reportd serve --demo

# The .deb of the service (deploy/CMakeLists.txt): $(BUILD_DIR)/package/reportd_<version>_<arch>.deb.
deb: build
	cpack --config $(BUILD_DIR)/CPackConfig.cmake -B $(BUILD_DIR)/package

test: build
	$(MAKE) unit e2e consumer package-test asan tsan bench-smoke fuzz-smoke

unit:
	ctest --test-dir $(BUILD_DIR) --output-on-failure

# Every suite, then the suites of the REST API, user administration, the live channel and
# durability again on PostgreSQL (a throwaway cluster per test file, tests/e2e/lib/postgres.mjs).
E2E_POSTGRES_SUITES = tests/e2e/reportd-rest.test.mjs tests/e2e/reportd-live.test.mjs \
  tests/e2e/reportd-users.test.mjs \
  tests/e2e/durability.test.mjs

e2e:
	ECHO_BIN=$(CURDIR)/$(BUILD_DIR)/examples/engineio-echo/engineio-echo $(E2E) tests/e2e/*.test.mjs
	E2E_DATABASE=postgres REPORTD_BIN=$(CURDIR)/$(BUILD_DIR)/src/app/reportd $(E2E) $(E2E_POSTGRES_SUITES)

# The Socket.IO library installed as a CMake package, and an example built against it alone.
consumer:
	tests/consumer/run.sh $(BUILD_DIR)

# The .deb built from $(BUILD_DIR) (contents, dependencies, unit, maintainer scripts), the
# service's `cmake --install`, and a static check of the Dockerfile (tests/packaging/deb.sh).
package-test:
	tests/packaging/deb.sh $(BUILD_DIR)

# The unit tests and the end-to-end suites again under AddressSanitizer and
# UndefinedBehaviorSanitizer; a report from any server or CLI run fails its test
# (tests/e2e/lib/sanitizer.mjs).
asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja $(SANITIZER_CMAKE_FLAGS) -DREPORTD_SANITIZE=address
	cmake --build $(ASAN_DIR)
	ctest --test-dir $(ASAN_DIR) --output-on-failure
	E2E_SANITIZER=address $(call e2e_servers,$(ASAN_DIR)) $(E2E) tests/e2e/*.test.mjs

# The unit tests and the end-to-end suites of the live channel (with the revocation of live
# sockets) and of the Socket.IO library under ThreadSanitizer.
tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja $(SANITIZER_CMAKE_FLAGS) -DREPORTD_SANITIZE=thread
	cmake --build $(TSAN_DIR)
	ctest --test-dir $(TSAN_DIR) --output-on-failure
	E2E_SANITIZER=thread $(call e2e_servers,$(TSAN_DIR)) $(E2E) tests/e2e/reportd-live.test.mjs \
	  tests/e2e/reportd-access.test.mjs tests/e2e/socketio-client.test.mjs \
	  tests/e2e/reportd-recovery.test.mjs

# reportd side by side with the Node.js socket.io baseline and the WebSocket ceiling; writes
# bench/results/<date>.md (or <date>-N.md), its charts and its raw results <date>.json (under 10
# minutes; the report states the total).
bench: build
	/usr/bin/python3 bench/run.py

# BENCH_RUNS (default 3) runs of make bench one after the other, then the spread of each target
# over them (min / median / max, runs that met it) in bench/results/spread-<date>.md.
BENCH_RUNS ?= 3
bench-spread: build
	for run in $$(seq $(BENCH_RUNS)); do /usr/bin/python3 bench/run.py || exit 1; done
	/usr/bin/python3 bench/spread.py --newest $(BENCH_RUNS)

# The same harness at tiny sizes (1-1.5 minutes, with PostgreSQL and Redis started by run.py),
# so that it cannot rot; asserts no speed.
bench-smoke:
	/usr/bin/python3 bench/run.py --smoke --out $(BUILD_DIR)/bench-smoke/results.md

# 19,000 WebSocket connections with churn and a steady comment rate for SOAK_MINUTES (default 30):
# RSS, descriptors and latency over time in bench/results/soak-<date>.md. Not part of make test.
soak: build
	/usr/bin/python3 bench/soak.py

# The libFuzzer targets of fuzz/ (clang, AddressSanitizer, UBSan); see fuzz/README.md.
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
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
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(TSAN_DIR)
