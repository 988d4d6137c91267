BENCH_CFLAGS := -std=c11 -O3 -march=x86-64-v3 -mtune=native -fopenmp -D_GNU_SOURCE -I$(ROOT)/include -I$(ROOT)/src -I/usr/include/x86_64-linux-gnu/openblas-openmp
BENCH_LIBS := -L/usr/lib/x86_64-linux-gnu/openblas-openmp -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -llapacke -lsleef -ljpeg -lpng -lz -lm -lpthread -fopenmp
