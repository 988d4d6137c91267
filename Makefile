# ctorch build. Plain GNU Make: see docs/ARCHITECTURE.md for why.
#   make            library (static + shared), pkg-config file, Python extension
#   make test       install missing packages, build, run every test
#   make test-asan  the C test suite under ASan+UBSan
#   make bench      benchmarks against PyTorch (never run by tests)
#   make demo       install what is missing, build, train a CNN on Fashion-MNIST (DEMO_ARGS=...)
#   make install PREFIX=/usr/local

PYTHON   ?= /usr/bin/python3
PREFIX   ?= /usr/local
CC       ?= gcc
# x86-64-v3 (AVX2+FMA), not -march=native: valgrind cannot run AVX-512 code,
# and the library stays portable to any AVX2 machine. Override: make ARCH=-march=native
ARCH     ?= -march=x86-64-v3 -mtune=native
OPT      ?= -O3
BUILD    ?= build
VERSION  := 0.1.0

OPENBLAS_DIR := /usr/lib/x86_64-linux-gnu/openblas-openmp
CPPFLAGS += -Iinclude -Isrc -I/usr/include/x86_64-linux-gnu -D_GNU_SOURCE
CFLAGS   += -std=c11 $(OPT) $(ARCH) -fPIC -fopenmp -Wall -Wextra -Wno-unused-parameter -g
LDLIBS   := -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas -llapacke -lsleef -ljpeg -lpng -lz -lm -lpthread -fopenmp

LIB_SRCS := $(sort $(wildcard src/core/*.c src/kernels/cpu/*.c src/ops/*.c src/autograd/*.c \
                              src/nn/*.c src/optim/*.c src/data/*.c src/io/*.c))
# CUDA: built whenever nvcc is found (on PATH or under /usr/local/cuda), so
# that CI compiles and links every CUDA source; CUDA=0 forces a CPU-only
# build. A CUDA build runs every CPU path on a machine without a GPU.
NVCC     ?= $(or $(shell command -v nvcc 2>/dev/null),$(wildcard /usr/local/cuda/bin/nvcc))
ifeq ($(CUDA),0)
NVCC     :=
endif
ifneq ($(strip $(NVCC)),)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
# sm_80 (A100), sm_90 (H100/H200) machine code, and PTX for newer GPUs.
NVCC_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
NVCCFLAGS ?= -O3 -std=c++17 -diag-suppress 186 $(NVCC_ARCH) -Xcompiler -fPIC -Iinclude -Isrc -D_GNU_SOURCE -DCT_HAVE_CUDA
CPPFLAGS += -DCT_HAVE_CUDA -I$(CUDA_HOME)/include
LIB_SRCS += $(sort $(wildcard src/cuda/*.c))
CU_SRCS  := $(sort $(wildcard src/cuda/*.cu))
LDLIBS   += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudart -lstdc++
endif
# oneDNN (Debian's libdnnl-dev): convolutions run through it whenever its
# headers are found (src/kernels/cpu/conv_dnnl.c); DNNL=0 forces the
# im2col + OpenBLAS path alone, which is also what a machine without it gets.
DNNL_H   ?= $(wildcard /usr/include/oneapi/dnnl/dnnl.h)
ifeq ($(DNNL),0)
DNNL_H   :=
endif
ifneq ($(strip $(DNNL_H)),)
CPPFLAGS += -DCT_HAVE_DNNL
LDLIBS   += -ldnnl
endif
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(CU_SRCS:%.cu=$(BUILD)/%.cu.o)
TEST_SRCS := $(sort $(wildcard tests/c/*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)

.PHONY: install-python demo asan-build examples all lib test test-cuda test-c test-asan test-python bench install clean deps deps-test python

all: lib python

lib: $(BUILD)/libctorch.a $(BUILD)/libctorch.so $(BUILD)/ctorch.pc

# Each object depends on the headers it includes (-MMD writes them to a .d
# file next to it), so a header edit rebuilds only its users.
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The fused optimizer loops vectorize only without errno from sqrt/div
# (nothing in ctorch reads errno).
$(BUILD)/src/optim/%.o: CFLAGS += -fno-math-errno

$(BUILD)/%.cu.o: %.cu Makefile
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d)

# ---- CUDA CPU emulator (src/cuda/emu; `make test-cuda-emu`) ----------------
# The CUDA build in build-emu/, with the .cu files compiled by g++ against
# src/cuda/emu/cuda_emu.hh (threads as fibers, real barriers and atomics) and
# linked against the emulated runtime and cuBLAS (src/cuda/emu/*.cc) instead
# of libcudart: the CUDA code and its tests run on a machine without a GPU.
# A .cu file still holding `<<<` or `extern __shared__` fails the build (use
# CT_LAUNCH / CT_DYNAMIC_SHARED of src/cuda/launch.h). Not part of `make
# test` (see test-cuda-emu); without the CUDA toolkit it says it is skipped.
EMU_BUILD ?= build-emu
ifeq ($(CUDA_EMU),1)
ifeq ($(strip $(NVCC)),)
$(error CUDA_EMU=1 needs the CUDA toolkit's headers (nvcc not found))
endif
EMU_CXX      ?= g++
EMU_CXXFLAGS := -std=c++17 -O2 -g -fPIC -fopenmp -Wall -Wextra -Wno-unused-parameter \
                -Iinclude -Isrc -I$(CUDA_HOME)/include -I/usr/include/x86_64-linux-gnu \
                -D_GNU_SOURCE -DCT_HAVE_CUDA -DCT_CUDA_EMU
CPPFLAGS     += -DCT_CUDA_EMU
LIB_OBJS     += $(patsubst %.cc,$(BUILD)/%.o,$(sort $(wildcard src/cuda/emu/*.cc)))
TEST_OBJS    += $(patsubst %.cu,$(BUILD)/%.cu.o,$(sort $(wildcard tests/c/*.cu)))
LDLIBS       := $(filter-out -lcudart,$(LDLIBS))
EMU_PY_EXT   := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
# (the same prerequisites as the nvcc rule above, which this one replaces)
$(BUILD)/%.cu.o: %.cu Makefile
	@mkdir -p $(dir $@)
	@if grep -nE '^[^/]*(<<<|extern +__shared__)' $<; then \
	  echo "$<: a kernel launch with <<<>>> or an extern __shared__ array: the CUDA emulator cannot" \
	       "compile it; use CT_LAUNCH / CT_DYNAMIC_SHARED (src/cuda/launch.h;" \
	       "perl src/cuda/emu/convert_launches.pl $< rewrites launches)" >&2; exit 1; fi
	$(EMU_CXX) $(EMU_CXXFLAGS) -MMD -MP -MF $(@:.o=.d) -x c++ -include src/cuda/emu/cuda_emu.hh -c $< -o $@
$(BUILD)/src/cuda/emu/%.o: src/cuda/emu/%.cc Makefile
	@mkdir -p $(dir $@)
	$(EMU_CXX) $(EMU_CXXFLAGS) -MMD -MP -c $< -o $@
-include $(patsubst %.cc,$(BUILD)/%.d,$(wildcard src/cuda/emu/*.cc)) \
         $(patsubst %.cu,$(BUILD)/%.cu.d,$(wildcard tests/c/*.cu))
# the Python package with the emulator's extension, beside the normal one
emu-python: lib
	@rm -rf $(BUILD)/pypkg && mkdir -p $(BUILD)/pypkg
	@cd python && find ctorch -name __pycache__ -prune -o -name '*.so' -prune -o -type f -print | \
	  while read f; do mkdir -p "$(CURDIR)/$(BUILD)/pypkg/$$(dirname $$f)"; \
	    ln -s "$(CURDIR)/python/$$f" "$(CURDIR)/$(BUILD)/pypkg/$$f"; done
	$(MAKE) --no-print-directory -f python/Makefile.inc PYTHON=$(PYTHON) BUILD=$(BUILD) LDLIBS='$(LDLIBS)' \
	  PY_SO=$(BUILD)/pypkg/ctorch/_C$(EMU_PY_EXT)
endif
.PHONY: test-cuda-emu emu-python
test-cuda-emu:
ifeq ($(strip $(NVCC)),)
	@echo "test-cuda-emu: skipped (no CUDA toolkit: nvcc not found)"
else
	+@$(MAKE) --no-print-directory CUDA_EMU=1 BUILD=$(EMU_BUILD) $(EMU_BUILD)/ctorch_tests emu-python
	$(EMU_BUILD)/ctorch_tests cuda
	GLIBC_TUNABLES=glibc.rtld.optional_static_tls=67108864 CTORCH_PYTHON_DIR=$(EMU_BUILD)/pypkg $(PYTHON) -m pytest -q -p no:cacheprovider -rs tests/python/test_cuda*.py
endif
# ---- end of the CUDA CPU emulator ------------------------------------------

$(BUILD)/libctorch.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libctorch.so: $(LIB_OBJS)
	$(CC) -shared -o $@ $^ $(LDLIBS) -Wl,-soname,libctorch.so.0

$(BUILD)/ctorch.pc: Makefile
	@mkdir -p $(BUILD)
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: ctorch\nDescription: eager deep learning engine in C\nVersion: %s\nLibs: -L$${libdir} -lctorch\nLibs.private: %s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(LDLIBS)' > $@

$(BUILD)/ctorch_tests: $(TEST_OBJS) $(BUILD)/libctorch.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJS) $(BUILD)/libctorch.a $(LDLIBS)

EXAMPLES := $(patsubst examples/c/%.c,$(BUILD)/examples/%,$(wildcard examples/c/*.c))
examples: $(EXAMPLES)
$(BUILD)/examples/%: examples/c/%.c $(BUILD)/libctorch.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libctorch.a $(LDLIBS)

# Python extension (python/ctorch/_C*.so); empty until python/csrc exists.
PY_SRCS := $(sort $(wildcard python/csrc/*.c))
python: lib
ifneq ($(PY_SRCS),)
	$(MAKE) --no-print-directory -f python/Makefile.inc PYTHON=$(PYTHON) BUILD=$(BUILD) LDLIBS='$(LDLIBS)'
endif

deps:
	@tools/install-deps.sh build
deps-test:
	@tools/install-deps.sh test

# The demo (demo/fashion_mnist.c; not an example: examples run under valgrind
# in the tests): the packages it needs (dataset-fashion-mnist included), the
# library, then the training run. tests/python/test_demo.py runs it on a subset.
demo:
	@tools/install-deps.sh demo
	@$(MAKE) --no-print-directory $(BUILD)/demo/fashion_mnist
	$(BUILD)/demo/fashion_mnist --out $(BUILD)/fashion_mnist_cnn.pt $(DEMO_ARGS)
$(BUILD)/demo/%: demo/%.c $(BUILD)/libctorch.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libctorch.a $(LDLIBS)

test: deps-test
	@$(MAKE) --no-print-directory all $(BUILD)/ctorch_tests examples $(BUILD)/demo/fashion_mnist
	+@$(ASAN_MAKE) build-asan/ctorch_tests
	@tools/run-tests.sh $(BUILD) $(PYTHON) build-asan

# The CUDA tests alone, for a GPU machine (they skip without a GPU).
test-cuda: all $(BUILD)/ctorch_tests
	$(BUILD)/ctorch_tests cuda
	PYTHONPATH=python $(PYTHON) -m pytest -q -p no:cacheprovider -rs tests/python/test_cuda*.py

test-c: $(BUILD)/ctorch_tests
	$(BUILD)/ctorch_tests

ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build-asan \
	  OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined"
asan-build:
	+@$(ASAN_MAKE) build-asan/ctorch_tests

test-asan: asan-build
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/ctorch_tests

bench: all
	@$(MAKE) --no-print-directory -C bench BENCH_LIBS='$(LDLIBS)'
	@PYTHONPATH=python $(PYTHON) bench/bench_cuda.py $(BENCH_CUDA_ARGS) # one "skipped" line without a GPU

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/ctorch/def $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(BUILD)/libctorch.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libctorch.so $(DESTDIR)$(PREFIX)/lib/libctorch.so.0
	ln -sf libctorch.so.0 $(DESTDIR)$(PREFIX)/lib/libctorch.so
	install -m 644 include/ctorch/*.h $(DESTDIR)$(PREFIX)/include/ctorch/
	install -m 644 include/ctorch/def/*.def $(DESTDIR)$(PREFIX)/include/ctorch/def/
	sed 's|^prefix=.*|prefix=$(PREFIX)|' $(BUILD)/ctorch.pc > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ctorch.pc

# The Python package (python/ctorch with the built extension) into the
# interpreter's site-packages, or PY_SITE=DIR; DESTDIR for staging.
PY_SITE ?= $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
install-python: python
	install -d $(DESTDIR)$(PY_SITE)
	cd python && find ctorch -name __pycache__ -prune -o -type f \( -name '*.py' -o -name '*.so' \) -print | \
	  while read f; do install -D -m 644 "$$f" "$(DESTDIR)$(PY_SITE)/$$f"; done

clean:
	rm -rf build build-asan build-emu python/ctorch/_C*.so
