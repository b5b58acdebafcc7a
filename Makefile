# redraft — build, test and run.
#   make            build bin/redraft-server (installs missing Debian packages first)
#   make test       unit + simulation + integration tests, also under ASan+UBSan
#   make chaos      the chaos test with its linearizability check for longer: make chaos CHAOS_SECONDS=600
#   make sim        the Raft simulator over more seeds: make sim SEEDS=100000 [STEPS=2000 NODES=3|5]
#   make cluster    build and start the local cluster from conf/cluster.conf
#   make bench      scripts/bench.sh: redraft side by side with its peers
.DEFAULT_GOAL := all

CC      ?= cc
PKGS    := libuv hiredis rocksdb jansson
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CSTD    := -std=c11 -D_GNU_SOURCE
INC      = -Isrc -Itests $(PKG_CFLAGS)
# http-parser ships no pkg-config file: linked by name.
LIBS     = $(PKG_LIBS) -lhttp_parser -lm -lpthread
CFLAGS_release  = -O2 -g $(WARN) $(CSTD) $(INC) -MMD -MP
CFLAGS_asan     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                  -fno-sanitize-recover=undefined $(WARN) $(CSTD) $(INC) -MMD -MP
LDFLAGS_asan   := -fsanitize=address,undefined

SRC      := $(sort $(wildcard src/*/*.c))
MAIN     := src/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
INT_SRC  := $(sort $(wildcard tests/integration/test_*.c))
TSUP_SRC := $(sort $(wildcard tests/support/*.c))
RAFT_SRC := $(sort $(wildcard src/raft/*.c))
SIM_SRC  := $(filter-out tests/sim/sim_main.c tests/sim/sim_faults.c,$(sort $(wildcard tests/sim/*.c)))

objs = $(patsubst %.c,build/$(1)/%.o,$(2))

# Installing what is missing comes first: build/config.mk is made by
# deps/install.sh and then records the flags pkg-config gives. Make rebuilds
# an included makefile before anything else and restarts, so the flags are
# read after the packages exist (on a fresh machine they do not at first).
DEPS_STAMP := build/config.mk
$(DEPS_STAMP): deps/install.sh
	@deps/install.sh --with-tests
	@mkdir -p build
	@printf 'PKG_CFLAGS := %s\nPKG_LIBS := %s\n' "$$(pkg-config --cflags $(PKGS))" \
	    "$$(pkg-config --libs $(PKGS))" >$@.tmp && mv $@.tmp $@
ifeq ($(filter clean format,$(MAKECMDGOALS)),)
include $(DEPS_STAMP)
endif

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

# The Raft simulator (tests/sim/) links the core (src/raft/) and nothing else
# of src/. Its objects go to build/<mode>/sim/, since build/<mode>/tests/sim is
# the binary. sim_faults links a copy of the core built with -DRAFT_FAULTS.
simobjs = $(patsubst tests/sim/%.c,build/$(1)/sim/%.o,$(2))
SIM_BIN := build/release/tests/sim build/asan/tests/sim build/release/tests/sim_faults

build/release/sim/%.o: tests/sim/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_release) -c $< -o $@
build/asan/sim/%.o: tests/sim/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_asan) -c $< -o $@
build/faults/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_release) -DRAFT_FAULTS -c $< -o $@

build/release/tests/sim: $(call simobjs,release,$(SIM_SRC) tests/sim/sim_main.c) \
                         $(call objs,release,$(RAFT_SRC))
	$(CC) -o $@ $(filter %.o,$^)
build/asan/tests/sim: $(call simobjs,asan,$(SIM_SRC) tests/sim/sim_main.c) $(call objs,asan,$(RAFT_SRC))
	$(CC) $(LDFLAGS_asan) -o $@ $(filter %.o,$^)
build/release/tests/sim_faults: $(call simobjs,release,$(SIM_SRC) tests/sim/sim_faults.c) \
                                $(call objs,faults,$(RAFT_SRC))
	$(CC) -o $@ $(filter %.o,$^)

test-build: bin/redraft-server bin/redraft-server-asan $(UNIT_BIN_release) $(UNIT_BIN_asan) \
            $(INT_BIN_release) $(INT_BIN_asan) $(SIM_BIN)

test: test-build
	@scripts/run-tests.sh

unit: $(UNIT_BIN_release)
	@scripts/run-tests.sh unit

SEEDS ?= 2000
STEPS ?= 2000
NODES ?= 3
sim: build/release/tests/sim
	build/release/tests/sim --seeds $(SEEDS) --steps $(STEPS) --nodes $(NODES)

# docs/commands.md's command table, written from the command table itself
docs: build/release/tests/test_commands_doc
	UPDATE_DOCS=1 build/release/tests/test_commands_doc

CHAOS_SECONDS ?= 120
chaos: bin/redraft-server build/release/tests/test_chaos
	CHAOS_SECONDS=$(CHAOS_SECONDS) REDRAFT_BIN=bin/redraft-server build/release/tests/test_chaos

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

.PHONY: all test test-build unit sim docs chaos cluster bench fuzz format clean
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
