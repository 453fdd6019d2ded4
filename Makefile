# chainstore - one non-recursive GNU Makefile.
# make [all] | completions | check | demo | lint | bench | install | uninstall | clean
# make fuzz [FUZZ_SECONDS=60]       libFuzzer targets (clang), each run that long
# make stress [STRESS_SECONDS=120] [CRASH_TRIALS=200]  concurrent writers and readers, then kill -9 trials
# make SANITIZE=address,undefined   builds everything with sanitizers
# make WERROR=1                     turns warnings into errors (CI does)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# where zsh looks by itself for PREFIX=/usr/local (Debian's fpath has it);
# a package for /usr would set ZSHCOMPDIR=/usr/share/zsh/vendor-completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DESTDIR ?=

VERSION := 0.1.0
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=c11 -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wwrite-strings -Wshadow -Wpointer-arith -Wcast-qual -Wformat=2 -Wundef \
	-Wold-style-definition -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
CPPFLAGS += -D_GNU_SOURCE -DCS_VERSION='"$(VERSION)"' -Ilibcommon
# libcrypto is linked statically (libssl-dev ships libcrypto.a): only its
# SHA-256 is used, 30 kB of it, where loading and relocating the 4.5 MB
# shared library took 1.3 ms of every command's start. LevelDB is too: the
# writers turn off its mmap reads through a hook that only libleveldb.a
# exports (libcommon/store.c), and it starts 0.2 ms sooner; it needs
# snappy and the C++ runtime (docs/benchmarks.md).
LDLIBS := -Wl,-Bstatic -lleveldb -lcrypto -Wl,-Bdynamic -lsnappy -lstdc++ -lpthread -lcbor -ljansson -lm
# Sanitizers: every finding is fatal (-fno-sanitize-recover), so that UBSan
# fails a test instead of printing and going on; tests/tools/run-tests.sh sets
# the run-time options (halt_on_error, abort_on_error, leak detection).
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

# Everything is rebuilt when the compiler or its flags change (a SANITIZE
# build after a plain one, and back), as git's GIT-CFLAGS does.
# -Werror changes no output, so it alone rebuilds nothing.
BUILD_FLAGS := $(CC) $(CPPFLAGS) $(CFLAGS) $(filter-out -Werror,$(WARN)) $(LDFLAGS) $(LDLIBS)
FLAGS_FILE := .build-flags
ifneq ($(BUILD_FLAGS),$(file <$(FLAGS_FILE)))
$(file >$(FLAGS_FILE),$(BUILD_FLAGS))
endif
# Written above, while make reads this file: its directory listing may be
# older than that, so the file needs a rule (an empty one) to count as made.
$(FLAGS_FILE): ;

# Every rule is written out here; make's built-in ones (a plain cc for
# %.o: %.c) must never stand in for one of them.
.SUFFIXES:

COMMANDS := $(patsubst cmd/%.c,%,$(wildcard cmd/cs-*.c))
SCRIPTS := $(wildcard cmd/cs-*.sh)
LIB_SRC := $(wildcard libcommon/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB := libcommon/libcommon.a
BIN := $(addprefix bin/,$(COMMANDS)) $(patsubst cmd/%.sh,bin/%,$(SCRIPTS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT := $(patsubst tests/unit/%.c,tests/unit/bin/%,$(UNIT_SRC))
# bench-sqlite needs libsqlite3, which only `make bench` installs.
TOOL_SRC := $(filter-out tests/tools/bench-sqlite.c,$(wildcard tests/tools/*.c))
TOOLS := $(patsubst tests/tools/%.c,tests/tools/bin/%,$(TOOL_SRC))
# LD_PRELOAD shims for fault injection (tests/tools/preload/NAME.c -> NAME.so)
PRELOAD_SRC := $(wildcard tests/tools/preload/*.c)
PRELOAD := $(patsubst tests/tools/preload/%.c,tests/tools/bin/%.so,$(PRELOAD_SRC))
# Fuzz targets (tests/fuzz/fuzz_NAME.c): libFuzzer binaries for make fuzz, and
# with the plain compiler the replayers that make check runs on the corpora
# and regressions (tests/fuzz.bats).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,tests/fuzz/bin/%,$(FUZZ_SRC))
REPLAY := $(patsubst tests/fuzz/fuzz_%.c,tests/fuzz/bin/replay_%,$(FUZZ_SRC))
MANPAGES := $(wildcard man/*.1 man/*.7)
# The bash completion of every command, made from the man pages (their
# SYNOPSIS and option lists), so that it follows them; one file, committed
# as generated (completions/cs-NAME.bash link to it), installed under each
# command's name for bash-completion to find.
COMPLETION := completions/cs.bash

all: $(BIN) $(UNIT) $(TOOLS) $(PRELOAD) $(REPLAY) $(COMPLETION)

completions: $(COMPLETION)

$(COMPLETION): tests/tools/gen-completions.sh $(wildcard man/cs-*.1)
	sh tests/tools/gen-completions.sh $(wildcard man/cs-*.1) > $@.tmp && mv $@.tmp $@

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

libcommon/%.o: libcommon/%.c $(wildcard libcommon/*.h) $(FLAGS_FILE)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

bin/%: cmd/%.c $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bin/%: cmd/%.sh
	@mkdir -p bin
	sed 's/@VERSION@/$(VERSION)/' $< > $@ && chmod +x $@

tests/unit/bin/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p tests/unit/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests/tools/bin/%: tests/tools/%.c $(LIB) $(wildcard libcommon/*.h tests/tools/*.h)
	@mkdir -p tests/tools/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# A shim is loaded into sanitized programs too, so it is built without
# sanitizers (the tests set verify_asan_link_order=0 for it).
tests/tools/bin/%.so: tests/tools/preload/%.c $(FLAGS_FILE)
	@mkdir -p tests/tools/bin
	$(CC) $(CPPFLAGS) $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) $(WARN) \
		-fPIC -shared -o $@ $< -ldl

tests/fuzz/bin/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p tests/fuzz/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LDLIBS)

# libFuzzer needs clang; libcommon is built again, instrumented, apart.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(patsubst libcommon/%.c,tests/fuzz/obj/%.o,$(LIB_SRC))
.SECONDARY: $(FUZZ_LIB_OBJ)

tests/fuzz/obj/%.o: libcommon/%.c $(wildcard libcommon/*.h)
	@mkdir -p tests/fuzz/obj
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c -o $@ $<

tests/fuzz/bin/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ) $(wildcard libcommon/*.h)
	@mkdir -p tests/fuzz/bin
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS)

fuzz-deps:
	@sh tests/tools/install-deps.sh fuzz

# fuzz-deps first: the build of the fuzzers needs clang.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

STRESS_SECONDS ?= 120
# Concurrent writers and readers for STRESS_SECONDS, then CRASH_TRIALS
# kill -9 crash trials (CI runs 21 of them in tests/crash.bats).
CRASH_TRIALS ?= 200
stress: deps all
	@STRESS_SECONDS=$(STRESS_SECONDS) bash tests/tools/stress.sh
	@sh tests/tools/crash-trials.sh -n $(CRASH_TRIALS) -s $$(date +%s) tests/tmp/crash-trials

# Installs the Debian packages the build and the tests need, when missing.
deps:
	@sh tests/tools/install-deps.sh

check: deps all
	@sh tests/tools/run-tests.sh

demo: deps all
	@sh tests/tools/demo.sh

bench: deps all tests/tools/bin/bench-sqlite
	@sh tests/tools/bench.sh

# What only the benchmarks need (SQLite, gnuplot, GNU time), when missing.
bench-deps:
	@sh tests/tools/install-deps.sh bench

tests/tools/bin/bench-sqlite: LDLIBS += -lsqlite3
tests/tools/bin/bench-sqlite: | bench-deps

lint: $(COMPLETION)
	mandoc -Tlint -Wwarning $(MANPAGES)
	bash -n $(COMPLETION)
	zsh -n completions/_cs

install: $(BIN) $(COMPLETION)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	for c in $(notdir $(BIN)); do \
		install -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/$$c || exit 1; done
	install -m 644 completions/_cs $(DESTDIR)$(ZSHCOMPDIR)/_cs

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BIN)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(BIN)))
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_cs

clean:
	rm -rf bin tests/unit/bin tests/tools/bin tests/fuzz/bin tests/fuzz/obj $(LIB_OBJ) $(LIB) \
		tests/tmp $(FLAGS_FILE)

.PHONY: all completions deps bench-deps check demo bench lint install uninstall clean fuzz fuzz-deps fuzz-run stress
