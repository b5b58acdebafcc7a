# redraft — build, test and run.
#   make            build bin/redraft-server (installs missing Debian packages first)
#   make test       unit + simulation + integration tests, also under ASan+UBSan
#   make cluster    build and start the local cluster from conf/cluster.conf
#   make bench      scripts/bench.sh: redraft side by side with its peers
.DEFAULT_GOAL := all

CC      ?= cc
PKGS    := libuv hiredis rocksdb
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CSTD    := -std=c11 -D_GNU_SOURCE
INC     := -Isrc -Itests $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
CFLAGS_release := -O2 -g $(WARN) $(CSTD) $(INC) -MMD -MP
CFLAGS_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                  -fno-sanitize-recover=undefined $(WARN) $(CSTD) $(INC) -MMD -MP
LDFLAGS_asan   := -fsanitize=address,undefined

SRC      := $(sort $(wildcard src/*/*.c))
MAIN     := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
INT_SRC  := $(sort $(wildcard tests/integration/test_*.c))
TSUP_SRC := $(sort $(wildcard tests/support/*.c))

objs = $(patsubst %.c,build/$(1)/%.o,$(2))

DEPS_STAMP := build/.deps-ok
$(DEPS_STAMP): deps/install.sh
	@deps/install.sh --with-tests
	@mkdir -p build && touch $@

# ---- the server ------------------------------------------------------------
all: bin/redraft-server

bin/redraft-server: $(call objs,release,$(SRC) $(MAIN)) | $(DEPS_STAMP)
	@mkdir -p bin
	$(CC) -o $@ $(filter %.o,$^) $(LIBS)

bin/redraft-server-asan: $(call objs,asan,$(SRC) $(MAIN)) | $(DEPS_STAMP)
	@mkdir -p bin
	$(CC) $(LDFLAGS_asan) -o $@ $(filter %.o,$^) $(LIBS)

build/release/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_release) -c $< -o $@

build/asan/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_asan) -c $< -o $@

# ---- tests -----------------------------------------------------------------
# Every tests/unit/test_X.c and tests/integration/test_X.c is one cmocka binary,
# linked with all of src/ except main.c, plus tests/support/.
UNIT_BIN_release := $(patsubst tests/unit/%.c,build/release/tests/%,$(UNIT_SRC))
UNIT_BIN_asan    := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))
INT_BIN_release  := $(patsubst tests/integration/%.c,build/release/tests/%,$(INT_SRC))
INT_BIN_asan     := $(patsubst tests/integration/%.c,build/asan/tests/%,$(INT_SRC))

build/release/tests/%: tests/unit/%.c $(call objs,release,$(SRC) $(TSUP_SRC)) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_release) -Itests -o $@ $< $(filter %.o,$^) $(LIBS) -lcmocka
build/asan/tests/%: tests/unit/%.c $(call objs,asan,$(SRC) $(TSUP_SRC)) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_asan) -Itests $(LDFLAGS_asan) -o $@ $< $(filter %.o,$^) $(LIBS) -lcmocka
build/release/tests/%: tests/integration/%.c $(call objs,release,$(SRC) $(TSUP_SRC)) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_release) -Itests -o $@ $< $(filter %.o,$^) $(LIBS) -lcmocka
build/asan/tests/%: tests/integration/%.c $(call objs,asan,$(SRC) $(TSUP_SRC)) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_asan) -Itests $(LDFLAGS_asan) -o $@ $< $(filter %.o,$^) $(LIBS) -lcmocka

test-build: bin/redraft-server bin/redraft-server-asan $(UNIT_BIN_release) $(UNIT_BIN_asan) \
            $(INT_BIN_release) $(INT_BIN_asan)

test: test-build
	@scripts/run-tests.sh

unit: $(UNIT_BIN_release)
	@scripts/run-tests.sh unit

# ---- running ---------------------------------------------------------------
cluster: bin/redraft-server
	@scripts/cluster.sh start

bench: bin/redraft-server
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh

format:
	clang-format -i src/*.c src/*/*.[ch] tests/*/*.[ch]

clean:
	rm -rf build bin

.PHONY: all test test-build unit cluster bench fuzz format clean
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
