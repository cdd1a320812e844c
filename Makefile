# streamc: the compiler (bin/streamc) and its runtime library.
#
#   make                 build everything into $(BUILD) (default build/);
#                        bin/streamc links to $(BUILD)/bin/streamc
#   make test            every test, then every test again under ASan/UBSan
#   make check           every test once, on the $(BUILD) tree
#   make install PREFIX=/usr/local DESTDIR=
#                        streamc, the runtime, its headers and streamrt.pc,
#                        the man pages and the bash completion; PREFIX is
#                        compiled into streamc (where it looks for the
#                        runtime when not next to itself), DESTDIR is not
#   make uninstall PREFIX=/usr/local DESTDIR=
#   make demo            build, then run examples/demo.stream for a few batches
#   make bench           benchmarks (bench/README.md)
#   make clean
#
# Layout of a build tree (streamc finds the runtime relative to itself, so
# the build tree works without installing):
#   $(BUILD)/bin/streamc
#   $(BUILD)/lib/streamc/libstreamrt.a
#   $(BUILD)/include/streamc/streamrt.h (+ st_map.h, st_gen.h, st_receiver.h, st_kinds.def)

BUILD   ?= build
SAN     ?=
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BISON   ?= bison
FLEX    ?= flex

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
endif
ALLCFLAGS = $(CSTD) $(WARN) $(OPT) $(SANFLAGS) $(CFLAGS)
LDLIBS_RT := -lpthread -lm

BIN     := $(BUILD)/bin
LIBDIR  := $(BUILD)/lib/streamc
INCDIR  := $(BUILD)/include/streamc
OBJ     := $(BUILD)/obj

# ---- compiler ------------------------------------------------------------
COMP_SRCS := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
COMP_OBJS := $(COMP_SRCS:compiler/%.c=$(OBJ)/compiler/%.o) \
             $(OBJ)/compiler/parser.tab.o $(OBJ)/compiler/lexer.o
COMP_GEN  := $(OBJ)/compiler/parser.tab.c $(OBJ)/compiler/parser.tab.h \
             $(OBJ)/compiler/lexer.c $(OBJ)/compiler/lexer.h $(OBJ)/compiler/cnames.inc
COMP_INC  := -Icompiler -I$(OBJ)/compiler -Iruntime

# ---- runtime -------------------------------------------------------------
# A kind that needs a C library (ST_SOURCE_LIB / ST_SINK_LIB / ST_TABLE_LIB
# rows of st_kinds.def) is built into its own libstreamrt_LIB.a, which
# streamc links (with -lLIB) only into the programs that use such a kind.
KIND_LIBS := $(shell sh compiler/tools/kind_libs.sh runtime/st_kinds.def)
# the Redis kinds' connection code goes with them; hiredis itself too, as
# one object made from the system's libhiredis.a when there is one, so
# that programs using Redis need only libc at run time (README, Redis)
KIND_LIBS += hiredis:runtime/redis/conn.c
HIREDIS_A := $(firstword $(wildcard $(shell $(CC) -print-file-name=libhiredis.a 2>/dev/null)))
LIB_NAMES := $(sort $(foreach p,$(KIND_LIBS),$(firstword $(subst :, ,$(p)))))
LIB_SRCS  := $(foreach p,$(KIND_LIBS),$(lastword $(subst :, ,$(p))))
lib_objs   = $(patsubst runtime/%.c,$(OBJ)/runtime/%.o,$(foreach p,$(filter $(1):%,$(KIND_LIBS)),$(lastword $(subst :, ,$(p)))))
LIB_ARCHS := $(LIB_NAMES:%=$(LIBDIR)/libstreamrt_%.a)
RT_SRCS   := $(filter-out $(LIB_SRCS),$(wildcard runtime/*.c runtime/sources/*.c runtime/sinks/*.c runtime/tables/*.c))
RT_OBJS   := $(RT_SRCS:runtime/%.c=$(OBJ)/runtime/%.o)
RT_HDRS   := runtime/streamrt.h runtime/st_map.h runtime/st_gen.h runtime/st_receiver.h runtime/st_sink.h \
             runtime/st_kinds.def runtime/st_table.h

.PHONY: all test check check-san install uninstall clean demo bench fuzz golden FORCE
all: $(BIN)/streamc $(LIBDIR)/libstreamrt.a $(LIB_ARCHS) $(INCDIR)/streamrt.h bin/streamc

bin/streamc: $(BIN)/streamc
	@mkdir -p bin
	@if [ "$(BUILD)" = build ]; then ln -sf ../$(BUILD)/bin/streamc bin/streamc; fi

$(OBJ)/compiler/parser.tab.c $(OBJ)/compiler/parser.tab.h &: compiler/parser.y
	@mkdir -p $(@D)
	$(BISON) -Wall -Werror --defines=$(OBJ)/compiler/parser.tab.h -o $(OBJ)/compiler/parser.tab.c $<

$(OBJ)/compiler/lexer.c $(OBJ)/compiler/lexer.h &: compiler/lexer.l $(OBJ)/compiler/parser.tab.h
	@mkdir -p $(@D)
	$(FLEX) --header-file=$(OBJ)/compiler/lexer.h -o $(OBJ)/compiler/lexer.c $<

# the C library's names, refused for extern and foreachRDD functions
$(OBJ)/compiler/cnames.inc: compiler/tools/cnames.sh $(RT_HDRS)
	@mkdir -p $(@D)
	sh compiler/tools/cnames.sh "$(CC)" runtime > $@.tmp && mv $@.tmp $@

# generated scanner/parser: relax warnings that flex/bison output trips
$(OBJ)/compiler/parser.tab.o: $(OBJ)/compiler/parser.tab.c $(OBJ)/compiler/lexer.h $(wildcard compiler/*.h)
	$(CC) $(ALLCFLAGS) $(COMP_INC) -Wno-missing-prototypes -c -o $@ $<
$(OBJ)/compiler/lexer.o: $(OBJ)/compiler/lexer.c $(OBJ)/compiler/parser.tab.h $(wildcard compiler/*.h)
	$(CC) $(ALLCFLAGS) $(COMP_INC) -Wno-missing-prototypes -Wno-unused-function -Wno-sign-compare -c -o $@ $<

$(OBJ)/compiler/%.o: compiler/%.c $(wildcard compiler/*.h) runtime/st_kinds.def runtime/st_kinds_fmt.h $(COMP_GEN)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(COMP_INC) -c -o $@ $<

# PREFIX is compiled into main.o: rebuilt when it changes
$(OBJ)/compiler/prefix.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)' > $@.tmp; if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(OBJ)/compiler/main.o: $(OBJ)/compiler/prefix.stamp
$(OBJ)/compiler/main.o: ALLCFLAGS += -DSTREAMC_PREFIX='"$(PREFIX)"'
FORCE:

$(BIN)/streamc: $(OBJ)/compiler/main.o $(COMP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $^ $(LDFLAGS)

$(OBJ)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h runtime/*.def runtime/tables/*.h runtime/redis/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Iruntime -c -o $@ $<

$(LIBDIR)/libstreamrt.a: $(RT_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

define lib_rule
$(LIBDIR)/libstreamrt_$(1).a: $(call lib_objs,$(1))
	@mkdir -p $$(@D)
	rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LIB_NAMES),$(eval $(call lib_rule,$(l))))
ifneq ($(HIREDIS_A),)
$(LIBDIR)/libstreamrt_hiredis.a: $(OBJ)/runtime/hiredis_static.o
$(OBJ)/runtime/hiredis_static.o: $(HIREDIS_A)
	@mkdir -p $(@D)
	$(LD) -r -o $@ --whole-archive $<
endif

$(INCDIR)/streamrt.h: $(RT_HDRS)
	@mkdir -p $(@D)
	cp $(RT_HDRS) $(INCDIR)/

# ---- tests ---------------------------------------------------------------
# Each tests/unit/test_*.c is one cmocka program; test_rt_* link the runtime,
# the others the compiler objects.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/test_rt_%: tests/unit/test_rt_%.c $(LIBDIR)/libstreamrt.a $(INCDIR)/streamrt.h
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Wno-missing-prototypes -Iruntime -o $@ $< $(LIBDIR)/libstreamrt.a -lcmocka $(LDLIBS_RT)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(COMP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Wno-missing-prototypes $(COMP_INC) -o $@ $< $(COMP_OBJS) -lcmocka

check: all $(UNIT_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) bash tests/run_all.sh $(UNIT_BINS)

# Test peers (tests/lib/peers.sh): the Kafka mock cluster host, built when
# librdkafka is installed (.ci/run installs librdkafka-dev).
HAVE_RDKAFKA := $(shell test -f /usr/include/librdkafka/rdkafka_mock.h && echo 1)
PEER_TOOLS   := $(if $(HAVE_RDKAFKA),$(BUILD)/tests/kafka_mock $(BUILD)/bench/ysb_produce)
$(BUILD)/tests/kafka_mock: tests/tools/kafka_mock.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $< -lrdkafka -lpthread
check: $(PEER_TOOLS)

check-san:
	$(MAKE) BUILD=build/san SAN=1 check

test:
	$(MAKE) check
	$(MAKE) check-san

demo: all
	bin/streamc -o $(BUILD)/demo examples/demo.stream
	$(BUILD)/demo --batches 5

bench: all
	bash bench/run.sh

# the plain librdkafka consumer's records/s on the mock cluster (issue 13's
# baseline; bench/kafka_baseline.sh), apart from make bench for now
# state with removal and timeouts: RSS and mapWithState vs updateStateByKey
# (bench/state.sh; bench/README.md); not part of make test
.PHONY: bench-state
bench-state: all
	bash bench/state.sh

.PHONY: bench-kafka
bench-kafka:
	bash bench/kafka_bench.sh

# The Yahoo Streaming Benchmark as YSB runs it (examples/ysb/run.sh): the
# event producer, the mock Kafka cluster, a Redis server, the job
$(BUILD)/bench/ysb_produce: bench/ysb/ysb_produce.c bench/ysb_ads.h bench/kafka_common.h
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $< -lrdkafka
.PHONY: ysb
ysb: all $(BUILD)/bench/ysb_produce $(BUILD)/tests/kafka_mock
	BUILD=$(BUILD) bash examples/ysb/run.sh

# regenerate the golden generated C of the examples (review the diff!)
golden: all
	@mkdir -p tests/golden
	for f in examples/*.stream; do n=$$(basename $$f .stream); \
	  (cd examples && ../$(BIN)/streamc --no-line --emit-c - $$n.stream) > tests/golden/$$n.c || exit 1; done

fuzz: all
	bash tests/fuzz/run.sh long

VERSION  = $(shell sed -n 's/^\#define ST_VERSION_STRING "\(.*\)"/\1/p' compiler/codegen.h)
I_BIN    = $(DESTDIR)$(PREFIX)/bin
I_LIB    = $(DESTDIR)$(PREFIX)/lib/streamc
I_INC    = $(DESTDIR)$(PREFIX)/include/streamc
I_PC     = $(DESTDIR)$(PREFIX)/lib/pkgconfig
I_MAN    = $(DESTDIR)$(PREFIX)/share/man/man1
I_COMP   = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
MANPAGES = man/streamc.1 man/streamc-run.1

$(BUILD)/streamrt.pc: streamrt.pc.in compiler/codegen.h $(OBJ)/compiler/prefix.stamp
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@KINDLIBS@|$(foreach l,$(LIB_NAMES),-lstreamrt_$(l) -l$(l))|' streamrt.pc.in > $@

install: all $(BUILD)/streamrt.pc
	install -d "$(I_BIN)" "$(I_LIB)" "$(I_INC)" "$(I_PC)" "$(I_MAN)" "$(I_COMP)"
	install -m 755 $(BIN)/streamc "$(I_BIN)/streamc"
	install -m 644 $(LIBDIR)/libstreamrt.a $(LIB_ARCHS) "$(I_LIB)/"
	install -m 644 $(INCDIR)/*.h $(INCDIR)/*.def "$(I_INC)/"
	install -m 644 $(BUILD)/streamrt.pc "$(I_PC)/streamrt.pc"
	install -m 644 $(MANPAGES) "$(I_MAN)/"
	install -m 644 completion/streamc.bash "$(I_COMP)/streamc"

# removes what install wrote, and the two directories that are streamc's own
# (quoted: PREFIX and DESTDIR may hold spaces)
uninstall:
	rm -f "$(I_BIN)/streamc" "$(I_LIB)/libstreamrt.a" $(LIB_NAMES:%="$(I_LIB)/libstreamrt_%.a") "$(I_PC)/streamrt.pc" "$(I_COMP)/streamc"
	for f in $(notdir $(RT_HDRS)); do rm -f "$(I_INC)/$$f"; done
	for f in $(notdir $(MANPAGES)); do rm -f "$(I_MAN)/$$f"; done
	rmdir "$(I_LIB)" "$(I_INC)" 2>/dev/null || true

clean:
	rm -rf build bin
