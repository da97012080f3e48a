# The README's two commands: `make demo` and `make test`. Both bootstrap a fresh machine first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
MINIMAL_BUILD ?= build-minimal
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# CI sets CMZ_WERROR=ON: warnings are errors there.
CMZ_WERROR ?= OFF
CMAKE_ARGS ?=
CONFIGURE   = cmake -S . -DCMZ_WERROR=$(CMZ_WERROR) $(CMAKE_ARGS) -Wno-dev --log-level=WARNING

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = decode stream reader salvage repair multiframe policy codec

.PHONY: all bootstrap build demo test test-plain test-asan test-tsan test-minimal test-bigendian \
        test-32bit abi-check format format-check bench fuzz fuzz-run install clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@$(CONFIGURE) -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) -- --no-print-directory -s

demo: build
	@scripts/demo $(BUILD)

# The whole suite twice: a plain build, then one under AddressSanitizer + UBSan.
test: test-plain test-asan

test-plain: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: bootstrap
	@$(CONFIGURE) -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMZ_SANITIZE=address,undefined \
	  -DCMZ_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS) -- --no-print-directory -s
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

# The threaded parts (pool, pipelines, random access) under ThreadSanitizer; CI runs it too.
test-tsan: bootstrap
	@$(CONFIGURE) -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMZ_SANITIZE=thread \
	  -DCMZ_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) -- --no-print-directory -s
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -R '^(parallel_(api|roundtrip|damage|pool_share|ctx_cache)|memory_(registry|snapshot))$$'

# A build without zstd (as where libzstd is missing) and with only codec libraries every Debian
# system carries (liblz4, liblzma, libbz2: apt and dpkg need them): lz4 is then the default
# codec, and the checks that need zstd or gzip skip themselves, one by one (docs/BUILDS.md).
MINIMAL_CODECS = -DCMZ_WITH_ZSTD=OFF -DCMZ_WITH_GZIP=OFF -DCMZ_WITH_BROTLI=OFF -DCMZ_WITH_SNAPPY=OFF
test-minimal: bootstrap
	@$(CONFIGURE) -B $(MINIMAL_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(MINIMAL_CODECS) \
	  -DCMZ_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(MINIMAL_BUILD) -j$(JOBS) -- --no-print-directory -s
	@cd $(MINIMAL_BUILD) && ctest --output-on-failure -j$(JOBS)

# Big-endian (s390x) and 32-bit (armhf) builds with Debian's cross compilers, every test run
# under qemu-user but the install checks and cli_test_safety (docs/BUILDS.md). CROSS_EXCLUDE:
# a regular expression of more tests to leave out, passed on as written ($ included; CI leaves
# out the slowest shell tests).
BIGENDIAN_BUILD ?= build-s390x
BUILD_32BIT     ?= build-armhf
test-bigendian:
	@scripts/bootstrap --cross
	@JOBS=$(JOBS) CMZ_WERROR=$(CMZ_WERROR) CROSS_EXCLUDE='$(value CROSS_EXCLUDE)' scripts/cross-test s390x \
	  $(BIGENDIAN_BUILD)

test-32bit:
	@scripts/bootstrap --cross
	@JOBS=$(JOBS) CMZ_WERROR=$(CMZ_WERROR) CROSS_EXCLUDE='$(value CROSS_EXCLUDE)' scripts/cross-test armhf \
	  $(BUILD_32BIT)

# The C sources in the style of .clang-format (clang-format 14, Debian 12's): `format`
# rewrites them, `format-check` lists the files that differ and fails.
C_SOURCES = $(shell git ls-files '*.c' '*.h')
format:
	@clang-format -i $(C_SOURCES)

format-check:
	@bad=$$(for f in $(C_SOURCES); do clang-format $$f | cmp -s - $$f || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "format-check: not formatted (make format):" $$bad >&2; exit 1; fi

# The library's ABI against the committed baseline abi/libcmz.abi (scripts/abi-check).
abi-check: build
	@scripts/bootstrap --abi
	@scripts/abi-check $(BUILD)

# libFuzzer harnesses (fuzz/, docs/FUZZING.md) built with clang, ASan and UBSan.
fuzz:
	@scripts/bootstrap --fuzz
	@CC=clang $(CONFIGURE) -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMZ_FUZZ=ON \
	  -DCMZ_SANITIZE=address,undefined -DCMZ_BUILD_TESTS=OFF -DCMZ_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) -- --no-print-directory -s

# Each target for FUZZ_SECONDS, from a copy of the committed corpus (new inputs stay in
# $(FUZZ_BUILD)/corpus); a crash input lands in $(FUZZ_BUILD)/crashes and fails the run.
fuzz-run: fuzz
	@scripts/fuzz-run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	@scripts/bootstrap --bench

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(MINIMAL_BUILD) $(FUZZ_BUILD) $(BIGENDIAN_BUILD) \
	  $(BUILD_32BIT)
