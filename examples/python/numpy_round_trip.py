"""NumPy and ctorch share memory both ways, without copies."""
import numpy as np

import ctorch as torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)       # a view of a's memory
t.mul_(2)                      # writes land in a
print(a)
b = t.numpy()                  # and back: the same memory again
b[0, 0] = -1
print(t)
assert a[0, 0] == -1 and np.shares_memory(a, b)
c = np.from_dlpack(t)          # DLPack works too
assert np.shares_memory(a, c)
