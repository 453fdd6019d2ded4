# chainstore - one non-recursive GNU Makefile.
# make [all] | check | demo | lint | bench | install | uninstall | clean
# make SANITIZE=address,undefined   builds everything with sanitizers
# make WERROR=1                     turns warnings into errors (CI does)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
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
LDLIBS := -lleveldb -lcbor -ljansson -lcrypto -lm
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

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
MANPAGES := $(wildcard man/*.1 man/*.7)

all: $(BIN) $(UNIT) $(TOOLS)

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

libcommon/%.o: libcommon/%.c $(wildcard libcommon/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

bin/%: cmd/%.c $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bin/%: cmd/%.sh
	@mkdir -p bin
	sed 's/@VERSION@/$(VERSION)/' $< > $@ && chmod +x $@

tests/unit/bin/%: tests/unit/%.c tests/unit/tap.h $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p tests/unit/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests/tools/bin/%: tests/tools/%.c $(LIB) $(wildcard libcommon/*.h)
	@mkdir -p tests/tools/bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

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

lint:
	mandoc -Tlint -Wwarning $(MANPAGES)
	for f in completions/*.bash; do bash -n $$f || exit 1; done
	zsh -n completions/_cs

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	for f in completions/*.bash; do \
		install -m 644 $$f $(DESTDIR)$(BASHCOMPDIR)/$$(basename $$f .bash); done
	install -m 644 completions/_cs $(DESTDIR)$(ZSHCOMPDIR)/_cs

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BIN)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard man/*.7)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(basename $(notdir $(wildcard completions/*.bash))))
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_cs

clean:
	rm -rf bin tests/unit/bin tests/tools/bin $(LIB_OBJ) $(LIB) tests/tmp

.PHONY: all deps bench-deps check demo bench lint install uninstall clean
