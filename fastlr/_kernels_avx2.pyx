# The kernels of _kernels.pyx, compiled for avx2 (setup.py adds the flags; fastlr/_dispatch.py
# picks the best copy this CPU runs). Results are bit-identical to the portable build.
include "_kernels.pyx"
